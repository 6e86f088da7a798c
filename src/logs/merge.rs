//! Mergeable summaries (placeholder, filled in below).
