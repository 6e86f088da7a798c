;; Calls for `cutover dual-write`: TS/JS functions, methods and arrow functions bound to a
;; name, the calls inside them, and named imports. Rust qualifies methods by their class.

(function_declaration name: (identifier) @def.name) @def
(method_definition name: (_) @def.name) @def
(variable_declarator
  name: (identifier) @def.name
  value: [(arrow_function) (function_expression)] @def)

(call_expression function: (identifier) @call.name) @call
(call_expression
  function: (member_expression object: (_) @call.object property: (property_identifier) @call.name)) @call

;; --- import { f, g as h } from './x' ----------------------------------------------
(import_statement
  (import_clause (named_imports (import_specifier name: (identifier) @import.name)))
  source: (string) @import.module)
(import_statement
  (import_clause (named_imports (import_specifier name: (identifier) @import.name alias: (identifier) @import.alias)))
  source: (string) @import.module)
