;; Imports for `cutover plan`: module specifiers of a TypeScript / JavaScript file.
;; The same text compiles for the typescript and tsx grammars.

;; --- import x from "m"; import "m"; export { x } from "m" -------------------------
(import_statement source: (string) @source)
(export_statement source: (string) @source)

;; --- require("m"), import("m") -----------------------------------------------------
((call_expression
   function: (identifier) @_fn
   arguments: (arguments . (string) @source))
 (#eq? @_fn "require"))
(call_expression
  function: (import)
  arguments: (arguments . (string) @source))
