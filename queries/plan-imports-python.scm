;; Imports for `cutover plan`: which modules a Python file imports.
;; @module is an absolute dotted name; @relative is a `from .x import` module with its dots.

;; --- import a.b, import a.b as c --------------------------------------------------
(import_statement name: (dotted_name) @module)
(import_statement name: (aliased_import name: (dotted_name) @module))

;; --- from a.b import c, from ..a import b -----------------------------------------
(import_from_statement module_name: (dotted_name) @module)
(import_from_statement module_name: (relative_import) @relative)
