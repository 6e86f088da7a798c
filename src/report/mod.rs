//! Renderers: a scanned `Inventory` (and later audit, plan and burndown results) in, text or
//! machine-readable output out. Output schemas are private to each renderer.

pub mod audit_json;
pub mod burndown;
pub mod diagnostic;
pub mod document;
pub mod dot;
pub mod dualwrite;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod logs;
pub mod markdown;
pub mod mermaid;
pub mod plan;
pub mod sarif;
pub mod text;
