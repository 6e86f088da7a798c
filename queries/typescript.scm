;; TypeScript / JavaScript (the same text is compiled for the TypeScript and the TSX
;; grammars; .js/.jsx/.tsx files are parsed with TSX). These patterns find the *shapes*
;; that may carry SQL; src/extract/typescript.rs decides what they mean with
;; catalog/typescript.toml (which calls are sinks, which tags are SQL tags).
;; Capture names are read by Rust (a test checks that every name here is known there);
;; `@_x` captures are helpers Rust ignores.

;; --- calls: obj.method(...), fn(...), new Ctor(...) ---------------------------------
;; (`await pool.query<Row>(...)` parses with the await inside the callee.)
(call_expression
  function: [(member_expression) (identifier) (await_expression)] @callee
  arguments: (arguments) @args) @call

(new_expression
  constructor: [(member_expression) (identifier)] @callee
  arguments: (arguments) @args) @call

;; --- tagged templates: sql`...`, prisma.$queryRaw`...`, sql.type(Row)`...` ----------
(call_expression
  function: (_) @tag
  arguments: (template_string) @template) @tagged

;; (sql<Row>`...` reads as `(sql < Row) > `...``; Rust recognises it from the template
;; literal, since a pattern rooted at binary_expression costs quadratic time on a deep
;; `a - b - c …` chain.)

;; --- other names for a SQL tag or sink: import { sql as ksql } from "kysely";
;; import { from as copyFrom } from "pg-copy-streams"; const pg = postgres(url) ---------
(import_specifier
  name: (identifier) @alias.of
  alias: (identifier) @alias.name)

;; CommonJS: const { from: copyIn } = require("pg-copy-streams")
(variable_declarator
  name: (object_pattern
    (pair_pattern
      key: (property_identifier) @alias.of
      value: (identifier) @alias.name)))

(variable_declarator
  name: (identifier) @factory.name
  value: (call_expression function: (identifier) @factory.of))

;; --- literals that may hold SQL, wherever they are (a cheap keyword test; Rust checks
;; that the assembled text starts like a statement) ---------------------------------
(((string) @literal)
  (#match? @literal "(?i)(select|insert|update|delete|merge|replace|upsert|truncate|copy|create|alter|drop|with|call)[^a-z0-9_]"))

;; Template literals nest (`${`…`}`), and a predicate runs on each one's whole text, which
;; costs quadratic time on deep nesting: Rust applies the same keyword test to them from one
;; scan of the file (`KeywordSpans`).
(template_string) @literal

;; --- variables: const q = ...; q = ...; q += ... ------------------------------------
(variable_declarator
  name: (identifier) @var.name
  value: (_) @var.value) @var

(assignment_expression
  left: (identifier) @var.name
  right: (_) @var.value) @var

(augmented_assignment_expression
  left: (identifier) @append.name
  operator: "+="
  right: (_) @append.value) @append

;; --- scopes: every function-like node, named or not (variables resolve through them) --
[(function_declaration)
 (generator_function_declaration)
 (function_expression)
 (generator_function)
 (arrow_function)
 (method_definition)] @scope

;; --- named functions, for the enclosing function of a finding -----------------------
;; Methods and arrow-function fields of classes: `OrderService.create`. (The class kinds
;; are named: a pattern rooted at a wildcard starts at every node and stays in progress down
;; the whole subtree, which costs quadratic time on deep nesting.)
(class_declaration name: (_) @def.class body: (class_body [
    (method_definition name: (_) @def.name)
    (public_field_definition name: (_) @def.name value: [(arrow_function) (function_expression)])
  ] @def.function))
(abstract_class_declaration name: (_) @def.class body: (class_body [
    (method_definition name: (_) @def.name)
    (public_field_definition name: (_) @def.name value: [(arrow_function) (function_expression)])
  ] @def.function))
(class name: (_) @def.class body: (class_body [
    (method_definition name: (_) @def.name)
    (public_field_definition name: (_) @def.name value: [(arrow_function) (function_expression)])
  ] @def.function))

;; const OrderRepo = class { find() {} }
(variable_declarator
  name: (identifier) @def.class
  value: (class body: (class_body [
    (method_definition name: (_) @def.name)
    (public_field_definition name: (_) @def.name value: [(arrow_function) (function_expression)])
  ] @def.function)))

;; OrderService.prototype.create = function () {...}
((assignment_expression
  left: (member_expression
    object: (member_expression
      object: (identifier) @def.class
      property: (property_identifier) @_prototype)
    property: (property_identifier) @def.name)
  right: [(arrow_function) (function_expression)] @def.function)
 (#eq? @_prototype "prototype"))

;; Methods of an object literal bound to a name: `const repo = { create() {} }` -> `repo.create`.
(variable_declarator
  name: (identifier) @def.class
  value: (object [
    (method_definition name: (_) @def.name) @def.function
    (pair key: (_) @def.name value: [(arrow_function) (function_expression)] @def.function)
  ]))

;; Any other method or object-literal function: its own name.
(method_definition name: (_) @def.name) @def.function
(pair
  key: (_) @def.name
  value: [(arrow_function) (function_expression)] @def.function)

;; function f() {}, function* f() {}, export default function f() {}
(function_declaration name: (identifier) @def.name) @def.function
(generator_function_declaration name: (identifier) @def.name) @def.function
(function_expression name: (identifier) @def.name) @def.function

;; const createOrder = async () => {...}; const f = function () {...}
(variable_declarator
  name: (identifier) @def.name
  value: [(arrow_function) (function_expression) (generator_function)] @def.function)

;; exports.f = function () {...}; module.exports.f = async () => {...}; A.prototype.f = ...
(assignment_expression
  left: (member_expression property: (property_identifier) @def.name)
  right: [(arrow_function) (function_expression)] @def.function)

;; export default async () => {...}; export default function () {...}
(export_statement
  "default"
  value: [(arrow_function) (function_expression)] @def.default)

;; --- class fields holding SQL: `private readonly findSql = "…"` read as `this.findSql`,
;; `static SQL = "…"` read as `OrderRepo.SQL` -------------------------------------------
;; (Class kinds named, not a wildcard: see the methods above.)
(class_declaration name: (_) @field.class body: (class_body
    (public_field_definition name: (property_identifier) @field.name value: (_) @field.value))) @field.owner
(abstract_class_declaration name: (_) @field.class body: (class_body
    (public_field_definition name: (property_identifier) @field.name value: (_) @field.value))) @field.owner
(class name: (_) @field.class body: (class_body
    (public_field_definition name: (property_identifier) @field.name value: (_) @field.value))) @field.owner
