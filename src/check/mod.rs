//! The rules a document is judged by, and the verdict.

pub mod identifiers;
