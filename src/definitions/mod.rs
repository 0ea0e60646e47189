//! Loading, compiling and indexing the national structures, classifications and bindings.

pub mod bindings;
pub mod catalog;
pub mod classifications;
pub mod element;
pub mod pointer;
pub mod rules;
pub mod strip;
pub mod structure;

// The languages definitions are read in (the types live in `lang`).
pub use crate::lang::{Lang, LangText};

/// Why a file could not be read as a Sosmeta structure: where (a JSON pointer into the
/// file) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {pointer}: {message}")]
pub struct StructureError {
    pub pointer: String,
    pub message: String,
}

impl StructureError {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        let pointer = pointer.into();
        Self {
            pointer: if pointer.is_empty() {
                "/".to_string()
            } else {
                pointer
            },
            message: message.into(),
        }
    }
}

use std::path::PathBuf;

use bindings::{Bindings, BindingsError, StructureInfo};
use catalog::{Catalog, CatalogError};
use classifications::{ClassificationError, Classifications};

/// Everything a document is judged against: structures, classifications and bindings.
#[derive(Debug)]
pub struct Definitions {
    pub catalog: Catalog,
    pub classifications: Classifications,
    pub bindings: Bindings,
}

/// Where to load definitions from; every `None` means the data embedded in the binary.
#[derive(Debug, Clone, Default)]
pub struct DefinitionsOptions {
    /// A directory of Sosmeta JSON Schemas replacing the embedded catalog.
    pub structures: Option<PathBuf>,
    /// A directory of classification files (JSON or CSV) loaded over the embedded ones.
    pub classifications: Option<PathBuf>,
    /// An organisation's bindings layer over the national one.
    pub bindings: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DefinitionsError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Classifications(#[from] ClassificationError),
    #[error(transparent)]
    Bindings(#[from] BindingsError),
}

impl Definitions {
    /// The national definitions built into the binary.
    pub fn embedded() -> Result<Self, DefinitionsError> {
        Self::load(&DefinitionsOptions::default())
    }

    /// Loads structures, classifications and bindings, and ties them together: the
    /// specific document type codes come from the catalog, and organisation bindings are
    /// checked against the structures' subjects.
    pub fn load(options: &DefinitionsOptions) -> Result<Self, DefinitionsError> {
        let catalog = match &options.structures {
            Some(dir) => Catalog::load_dir(dir)?,
            None => Catalog::embedded()?,
        };
        let mut classifications = Classifications::embedded();
        register_type_codes(&catalog, &mut classifications)?;
        if let Some(dir) = &options.classifications {
            classifications.load_dir_over(dir)?;
        }
        let mut bindings = Bindings::national_embedded();
        if let Some(file) = &options.bindings {
            bindings = bindings.with_layer_file(file)?;
        }
        bindings.check_structures(catalog.iter().map(|s| StructureInfo {
            oid: s.oid(),
            family: Some(s.meta.family.as_str()),
            subject: s.meta.subject.as_deref(),
        }))?;
        Ok(Self {
            catalog,
            classifications,
            bindings,
        })
    }
}

/// Adds the specific document type codes (1506) that the catalog's structure OIDs carry,
/// named after their structures. The classification stays incomplete as a whole: its
/// general family codes are only partly known. (The 1505 structures are not registered as
/// document group codes: that the two code spaces agree is not established.)
fn register_type_codes(
    catalog: &Catalog,
    classifications: &mut Classifications,
) -> Result<(), ClassificationError> {
    for base in ["1.2.246.537.6.1506"] {
        let prefix = format!("{base}.");
        let mut codes: Vec<(String, String, Option<String>)> = Vec::new();
        // Newest version first, so each code is named after its newest structure.
        let mut structures: Vec<_> = catalog
            .iter()
            .filter(|s| s.oid().starts_with(&prefix))
            .collect();
        structures.sort_by(|a, b| b.meta.definition_version.cmp(&a.meta.definition_version));
        for s in structures {
            if codes.iter().any(|(code, _, _)| *code == s.type_code) {
                continue;
            }
            let name = s.name();
            let sv = (!name.sv.is_empty()).then(|| name.sv.clone());
            codes.push((s.type_code.clone(), name.fi.clone(), sv));
        }
        classifications.add_codes(base, codes, false)?;
    }
    Ok(())
}
