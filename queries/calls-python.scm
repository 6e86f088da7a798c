;; Calls for `cutover dual-write`: Python function definitions, the calls inside them, and
;; `from x import f` names. Rust computes qualified names by walking up from @def.

(function_definition name: (identifier) @def.name) @def

(call function: (identifier) @call.name) @call
(call function: (attribute object: (_) @call.object attribute: (identifier) @call.name)) @call

;; --- from a.b import f, from .a import f as g -------------------------------------
(import_from_statement
  module_name: [(dotted_name) (relative_import)] @import.module
  name: (dotted_name) @import.name)
(import_from_statement
  module_name: [(dotted_name) (relative_import)] @import.module
  name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.alias))
