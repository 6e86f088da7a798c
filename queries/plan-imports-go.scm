;; Imports for `cutover plan`: every import path of a Go file (single and grouped forms).
(import_spec path: [(interpreted_string_literal) (raw_string_literal)] @path)
