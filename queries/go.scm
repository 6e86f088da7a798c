;; Go: shapes of calls and literals that may carry SQL. Rust (src/extract/go.rs) decides
;; what they mean using catalog/go.toml.

;; --- any call: pkg.Func(...) / recv.Method(...) / Func(...) ----------------------------
(call_expression
  function: [(selector_expression) (identifier)] @callee
  arguments: (argument_list) @args) @call
