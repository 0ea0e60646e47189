//! The catalog: every loaded structure, indexed by OID and by content root key.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::StructureError;
use super::structure::Structure;

/// Stripped national structures carried in the binary, as (file name, JSON text).
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_sosmeta.rs"));
}

/// Where a catalog came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The facts-only national catalog built into the binary.
    Embedded,
    /// A directory of Sosmeta files given at run time.
    Directory(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded => f.write_str("embedded"),
            Self::Directory(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A file that did not load or compile, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    pub file: String,
    /// Where in the file (an RFC 6901 pointer; `/` for the whole file).
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}: {}", self.file, self.pointer, self.message)
    }
}

/// Why no catalog could be made at all.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    // The reason is part of the message and not the error's `source`: callers print the
    // chain (`{:#}`), which would repeat it.
    #[error("cannot read definitions directory {path}: {reason}")]
    ReadDir {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("no Sosmeta structure loaded from {origin} ({failed} files failed)")]
    Empty { origin: String, failed: usize },
}

/// The loaded structures with their indices.
#[derive(Debug)]
pub struct Catalog {
    structures: Vec<Arc<Structure>>,
    by_oid: HashMap<String, usize>,
    /// Root key to structure indices, newest definition first.
    by_root: HashMap<String, Vec<usize>>,
    origin: Origin,
    /// Files seen and the failures among them, from loading.
    pub failures: Vec<LoadFailure>,
    pub files: usize,
}

impl Catalog {
    /// The national catalog built into the binary. Only each structure's identity is read
    /// now; element tables and validators are built on first use, or all at once by
    /// [`Catalog::compile_all`] (the service does that before it reports SERVING).
    pub fn embedded() -> Result<Self, CatalogError> {
        let sources: Vec<(String, Cow<'static, [u8]>)> = embedded::SOSMETA
            .iter()
            .map(|(name, text)| (format!("embedded:{name}"), Cow::Borrowed(text.as_bytes())))
            .collect();
        // The build script gives every embedded structure's identity in one small JSON
        // array; without it (it does not match), each file's identity is skimmed instead.
        match super::structure::lazy_from_heads(embedded::SOSMETA_HEADS, sources) {
            Ok(read) => {
                let files = read.len();
                let parsed = read
                    .into_iter()
                    .map(|(name, structure)| structure.map_err(|e| failure(&name, e)))
                    .collect();
                Self::assemble(parsed, files, Origin::Embedded)
            }
            Err(sources) => Self::read_sources(sources, Origin::Embedded, Read::Lazy),
        }
    }

    /// The embedded files as (file name, stripped JSON text), for comparing with a fresh strip.
    pub fn embedded_sources() -> &'static [(&'static str, &'static str)] {
        embedded::SOSMETA
    }

    /// Every `*.json` file directly in `dir`, official or stripped.
    pub fn load_dir(dir: &Path) -> Result<Self, CatalogError> {
        let read_dir = |reason| CatalogError::ReadDir {
            path: dir.to_path_buf(),
            reason,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(read_dir)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
            .collect();
        paths.sort();
        let mut sources = Vec::with_capacity(paths.len());
        let mut unreadable = Vec::new();
        for path in paths {
            let name = path.display().to_string();
            match std::fs::read(&path) {
                Ok(bytes) => sources.push((name, Cow::Owned(bytes))),
                Err(error) => unreadable.push(LoadFailure {
                    file: name,
                    pointer: "/".into(),
                    message: format!("cannot read file: {error}"),
                }),
            }
        }
        let mut catalog = Self::from_sources(sources, Origin::Directory(dir.to_path_buf()));
        if let Ok(catalog) = &mut catalog {
            catalog.files += unreadable.len();
            catalog.failures.extend(unreadable);
        }
        catalog
    }

    /// Parses every source in parallel, element tables included; files that fail are
    /// reported, the rest load.
    pub fn from_sources(
        sources: Vec<(String, Cow<'static, [u8]>)>,
        origin: Origin,
    ) -> Result<Self, CatalogError> {
        Self::read_sources(sources, origin, Read::Full)
    }

    fn read_sources(
        sources: Vec<(String, Cow<'static, [u8]>)>,
        origin: Origin,
        read: Read,
    ) -> Result<Self, CatalogError> {
        let files = sources.len();
        let parsed: Vec<Result<Structure, LoadFailure>> = sources
            .into_par_iter()
            .map(|(name, bytes)| parse_source(&name, bytes, read))
            .collect();
        Self::assemble(parsed, files, origin)
    }

    /// Indexes the structures read; the failures are kept for reporting.
    fn assemble(
        parsed: Vec<Result<Structure, LoadFailure>>,
        files: usize,
        origin: Origin,
    ) -> Result<Self, CatalogError> {
        let mut catalog = Self {
            structures: Vec::new(),
            by_oid: HashMap::new(),
            by_root: HashMap::new(),
            origin,
            failures: Vec::new(),
            files,
        };
        for result in parsed {
            match result {
                Ok(structure) => catalog.insert(structure),
                Err(failure) => catalog.failures.push(failure),
            }
        }
        if catalog.structures.is_empty() {
            return Err(CatalogError::Empty {
                origin: catalog.origin.to_string(),
                failed: catalog.failures.len(),
            });
        }
        catalog.index_roots();
        Ok(catalog)
    }

    fn insert(&mut self, structure: Structure) {
        if let Some(&existing) = self.by_oid.get(structure.oid()) {
            self.failures.push(LoadFailure {
                file: structure.source.clone(),
                pointer: "/sosmeta/oid".into(),
                message: format!(
                    "duplicate structure oid, already loaded from {}",
                    self.structures[existing].source
                ),
            });
            return;
        }
        self.by_oid
            .insert(structure.oid().to_string(), self.structures.len());
        self.structures.push(Arc::new(structure));
    }

    fn index_roots(&mut self) {
        self.by_root.clear();
        for (i, s) in self.structures.iter().enumerate() {
            self.by_root.entry(s.root_key.clone()).or_default().push(i);
        }
        for versions in self.by_root.values_mut() {
            versions.sort_by(|&a, &b| {
                let (a, b) = (&self.structures[a].meta, &self.structures[b].meta);
                b.definition_version
                    .cmp(&a.definition_version)
                    .then_with(|| b.oid.cmp(&a.oid))
            });
        }
    }

    /// Builds every structure's element table and compiles its validator on all cores;
    /// returns the ones that failed.
    pub fn compile_all(&self) -> Vec<LoadFailure> {
        self.structures
            .par_iter()
            .filter_map(|s| {
                s.prepare().err().map(|error| LoadFailure {
                    file: s.source.clone(),
                    pointer: error.pointer,
                    message: error.message,
                })
            })
            .collect()
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub fn len(&self) -> usize {
        self.structures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.structures.is_empty()
    }

    /// Structures in OID order of loading (file name order).
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Structure>> {
        self.structures.iter()
    }

    pub fn get(&self, oid: &str) -> Option<&Arc<Structure>> {
        self.by_oid.get(oid).map(|&i| &self.structures[i])
    }

    /// Every version of the structure with this content root key, newest first.
    pub fn versions(&self, root_key: &str) -> impl Iterator<Item = &Arc<Structure>> {
        self.by_root
            .get(root_key)
            .into_iter()
            .flatten()
            .map(|&i| &self.structures[i])
    }

    /// The newest definition of the structure with this root key.
    pub fn latest(&self, root_key: &str) -> Option<&Arc<Structure>> {
        self.versions(root_key).next()
    }

    /// Distinct content root keys.
    pub fn root_keys(&self) -> impl Iterator<Item = &str> {
        self.by_root.keys().map(String::as_str)
    }

    /// A short identifier of the catalog's content, for metrics and logs: the number of
    /// structures, the newest definition date and a hash of the OIDs.
    pub fn version(&self) -> String {
        let mut oids: Vec<&str> = self.structures.iter().map(|s| s.oid()).collect();
        oids.sort_unstable();
        // FNV-1a: stable across runs and platforms, unlike the std hasher.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for oid in &oids {
            for byte in oid.bytes().chain([b'\n']) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        let newest = self
            .structures
            .iter()
            .map(|s| s.meta.definition_version.as_str())
            .max()
            .unwrap_or("-");
        format!("{}-{newest}-{:08x}", oids.len(), hash as u32)
    }
}

/// How much of a structure is read when the catalog loads.
#[derive(Debug, Clone, Copy)]
enum Read {
    /// Identity and element table (a broken file is reported at once).
    Full,
    /// Identity only; the table is built on first use.
    Lazy,
}

fn parse_source(
    name: &str,
    bytes: Cow<'static, [u8]>,
    read: Read,
) -> Result<Structure, LoadFailure> {
    let structure = match read {
        Read::Full => Structure::from_json(bytes, name),
        Read::Lazy => Structure::from_json_lazy(bytes, name),
    };
    structure.map_err(|error| failure(name, error))
}

fn failure(file: &str, error: StructureError) -> LoadFailure {
    LoadFailure {
        file: file.to_string(),
        pointer: error.pointer,
        message: error.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal(oid: &str, root: &str, version: &str) -> Cow<'static, [u8]> {
        serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "sosmeta": {"oid": oid, "documentType": "Arvio", "documentDefinitionVersion": version},
            "required": [root],
            "properties": {root: {"type": "object", "properties": {}}}
        })
        .to_string()
        .into_bytes()
        .into()
    }

    #[test]
    fn indexes_by_oid_and_root_with_latest_first() {
        let catalog = Catalog::from_sources(
            vec![
                (
                    "a.json".into(),
                    minimal("1.2.246.537.6.1506.1.2020.1.1", "arvio", "2020-01-01"),
                ),
                (
                    "b.json".into(),
                    minimal("1.2.246.537.6.1506.1.2024.5.2", "arvio", "2024-05-02"),
                ),
                (
                    "c.json".into(),
                    minimal("1.2.246.537.6.1506.2.2021.1.1", "muu", "2021-01-01"),
                ),
                ("bad.json".into(), b"{\"type\": ".to_vec().into()),
                (
                    "plain.json".into(),
                    b"{\"type\": \"object\"}".to_vec().into(),
                ),
                (
                    "dup.json".into(),
                    minimal("1.2.246.537.6.1506.2.2021.1.1", "muu", "2021-01-01"),
                ),
            ],
            Origin::Embedded,
        )
        .unwrap();
        assert_eq!(catalog.len(), 3);
        assert_eq!(catalog.files, 6);
        assert_eq!(
            catalog.latest("arvio").unwrap().oid(),
            "1.2.246.537.6.1506.1.2024.5.2"
        );
        assert_eq!(catalog.versions("arvio").count(), 2);
        assert!(catalog.get("1.2.246.537.6.1506.2.2021.1.1").is_some());
        let failed: Vec<(&str, &str)> = catalog
            .failures
            .iter()
            .map(|f| (f.file.as_str(), f.pointer.as_str()))
            .collect();
        assert_eq!(
            failed,
            [
                ("bad.json", "/"),
                ("plain.json", "/sosmeta"),
                ("dup.json", "/sosmeta/oid")
            ]
        );
        assert!(
            catalog.failures[0].message.contains("line 1"),
            "{}",
            catalog.failures[0]
        );
        assert!(catalog.compile_all().is_empty());
    }

    #[test]
    fn nothing_loaded_is_an_error() {
        let error = Catalog::from_sources(
            vec![("x.json".into(), Cow::Borrowed(&b"[]"[..]))],
            Origin::Embedded,
        )
        .unwrap_err();
        assert!(error.to_string().contains("1 files failed"), "{error}");
    }

    #[test]
    fn the_embedded_catalog_loads_and_compiles() {
        let catalog = Catalog::embedded().unwrap();
        assert!(catalog.failures.is_empty(), "{:?}", catalog.failures);
        assert_eq!(catalog.len(), catalog.files);
        assert!(catalog.compile_all().is_empty());
    }

    #[test]
    fn embedded_structures_read_lazily_equal_their_full_reading() {
        // The identities come from the build script's heads, not from skimming the files.
        let sources = embedded::SOSMETA
            .iter()
            .map(|(name, text)| (name.to_string(), Cow::Borrowed(text.as_bytes())))
            .collect();
        let heads =
            crate::definitions::structure::lazy_from_heads(embedded::SOSMETA_HEADS, sources)
                .unwrap_or_else(|_| panic!("the heads do not match the embedded files"));
        assert!(heads.iter().all(|(_, s)| s.is_ok()));
        let lazy = Catalog::embedded().unwrap();
        assert!(lazy.iter().all(|s| !s.is_built()), "nothing built at load");
        for (name, text) in Catalog::embedded_sources() {
            let full = Structure::from_json(Cow::Borrowed(text.as_bytes()), name).unwrap();
            let structure = lazy.get(full.oid()).unwrap();
            assert_eq!(
                format!("{:?}", structure.meta),
                format!("{:?}", full.meta),
                "{name}"
            );
            assert_eq!(structure.type_code, full.type_code, "{name}");
            assert_eq!(structure.root_key, full.root_key, "{name}");
            assert_eq!(structure.name(), full.name(), "{name}");
            assert_eq!(structure.name(), &full.elements()[0].name, "{name}");
            assert!(!structure.is_built());
            assert_eq!(
                format!("{:?}", structure.elements()),
                format!("{:?}", full.elements()),
                "{name}"
            );
            assert_eq!(structure.rules(), full.rules(), "{name}");
            assert_eq!(structure.text_only(), full.text_only(), "{name}");
        }
    }

    #[test]
    fn a_lazy_head_is_checked_like_a_full_reading() {
        for (schema, pointer) in [
            (
                serde_json::json!({"required": ["a"], "properties": {"a": {}}}),
                "/sosmeta",
            ),
            (
                serde_json::json!({
                    "sosmeta": {"oid": "1.2.246.537.6.1506.1.2020.1.1", "documentType": "Arvio",
                                "documentDefinitionVersion": "2020-01-01"},
                    "required": ["a", "b"],
                    "properties": {"a": {}, "b": {}}
                }),
                "/required",
            ),
        ] {
            let text: Cow<'static, [u8]> = Cow::Owned(schema.to_string().into_bytes());
            let full = Structure::from_json(text.clone(), "x.json").unwrap_err();
            let lazy = Structure::from_json_lazy(text, "x.json").unwrap_err();
            assert_eq!(full.pointer, pointer);
            assert_eq!(lazy.pointer, pointer);
        }
    }
}
