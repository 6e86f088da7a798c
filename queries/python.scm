;; Python: shapes of calls, bindings and definitions that may carry SQL. Rust
;; (src/extract/python.rs) decides what they mean using catalog/python.toml; string
;; literals and the expressions built from them (concatenation, f-strings, `%`, `.format`,
;; `" ".join`) are evaluated there, because "the outermost string expression" is not
;; something a query can say.

;; --- calls: receiver.method(...) or function(...) -- sinks come from the catalog -----
(call
  function: [(attribute) (identifier)] @callee
  arguments: (argument_list) @args) @call

;; --- bindings: name = value, name: T = value, name += value --------------------------
(assignment
  left: (identifier) @assign_name
  right: (_) @assign_value) @assign

(augmented_assignment
  left: (identifier) @append_name
  operator: "+="
  right: (_) @append_value) @append

;; --- scopes: functions (sync and async, decorated or not) and classes -----------------
(function_definition
  name: (identifier) @function_name) @function

(class_definition
  name: (identifier) @class_name) @class
