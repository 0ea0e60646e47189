//! Loading, compiling and indexing the national structures, classifications and bindings.

pub mod bindings;
pub mod classifications;
