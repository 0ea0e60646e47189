//! Readers that turn CDA documents, archiving frames and bare JSON content into one
//! document model with source locations.

pub mod base64;
pub mod cda;
pub mod json;
pub mod xml;
