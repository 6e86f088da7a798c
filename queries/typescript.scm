;; TypeScript / JavaScript (also compiled for TSX): shapes of calls and literals that may
;; carry SQL. Rust (src/extract/typescript.rs) decides what they mean using
;; catalog/typescript.toml.

;; --- any call: obj.method(...) / fn(...) ----------------------------------------------
(call_expression
  function: [(member_expression) (identifier)] @callee
  arguments: (arguments) @args) @call
