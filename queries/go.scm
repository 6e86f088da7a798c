;; Go: shapes of calls, bindings and declarations that may carry SQL. Rust
;; (src/extract/go.rs) decides what they mean using catalog/go.toml; string literals and
;; the expressions built from them (`+`, `fmt.Sprintf`, `strings.Join`) are evaluated
;; there, because "the outermost string expression" is not something a query can say.

;; --- calls: recv.Method(...) / pkg.Func(...) / Func(...) -- sinks come from the catalog
(call_expression
  function: [(selector_expression) (identifier)] @callee
  arguments: (argument_list) @args) @call

;; --- bindings: q := …, q = …, var q = …, const q = …, q += … ----------------------------
(short_var_declaration
  left: (expression_list) @assign_names
  right: (expression_list) @assign_values) @assign

(assignment_statement
  left: (expression_list) @assign_names
  operator: "="
  right: (expression_list) @assign_values) @assign

(assignment_statement
  left: (expression_list) @append_names
  operator: "+="
  right: (expression_list) @append_values) @append

(var_spec
  value: (expression_list) @spec_values) @spec

(const_spec
  value: (expression_list) @spec_values) @spec

;; --- scopes: functions, methods (qualified by receiver type), function literals --------
(function_declaration
  name: (identifier) @function_name) @function

(method_declaration
  receiver: (parameter_list) @receiver
  name: (field_identifier) @function_name) @function

(func_literal) @closure
