;; Python: shapes of calls and literals that may carry SQL. Rust (src/extract/python.rs)
;; decides what they mean using catalog/python.toml.

;; --- any call: receiver.method(...) or function(...) ------------------------------
(call
  function: [(attribute) (identifier)] @callee
  arguments: (argument_list) @args) @call
