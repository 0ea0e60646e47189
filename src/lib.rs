//! rakenne: conformance of Finnish social welfare client documents to THL's national
//! document structures (Sosmeta JSON Schemas) and Kanta's archive rules.
//!
//! The domain core (`definitions`, `document`, `check`) is synchronous and knows nothing of
//! gRPC; the service and the CLI are thin adapters over it.
#![forbid(unsafe_code)]

pub mod catalogue;
pub mod check;
pub mod definitions;
pub mod document;
pub mod findings;
pub mod identifiers;
pub mod lang;
pub mod report;
pub mod service;
