;; Calls for `cutover dual-write`: Go functions and methods (with their receiver), the calls
;; inside them, and import paths with their optional alias.

(function_declaration name: (identifier) @def.name) @def
(method_declaration
  receiver: (parameter_list (parameter_declaration type: (_) @def.receiver))
  name: (field_identifier) @def.name) @def

(call_expression function: (identifier) @call.name) @call
(call_expression
  function: (selector_expression operand: (_) @call.object field: (field_identifier) @call.name)) @call

(import_spec path: (interpreted_string_literal) @import.module)
(import_spec name: (package_identifier) @import.alias path: (interpreted_string_literal) @import.module)
