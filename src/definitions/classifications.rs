//! Classifications (code systems) that documents refer to by OID, with the codes known here.
//!
//! The embedded set holds the codes confirmed from public THL and Kanta sources; most lists are
//! known to be incomplete (`complete: false`). For an incomplete classification an unknown
//! but well-formed code is a warning for the caller ([`CodeCheck::UnknownInIncomplete`]);
//! for a complete one it is an error ([`CodeCheck::UnknownInComplete`]). The full official
//! lists can be loaded at run time with no code change.
//!
//! # File formats
//!
//! **JSON** (`schemas/classifications/<oid>.json`, the embedded format):
//!
//! ```json
//! {
//!   "oid": "1.2.246.537.6.1221",
//!   "version": "201601",
//!   "name": {"fi": "Sosiaalihuolto - Palvelutehtävä", "sv": "..."},
//!   "complete": false,
//!   "source": "THL Koodistopalvelu: 1.2.246.537.6.1221 Sosiaalihuolto - Palvelutehtävä",
//!   "codes": [{"code": "10", "fi": "Lastensuojelu", "sv": "..."}]
//! }
//! ```
//!
//! `version` is the version arc documents append to the OID (or `null`), `sv` is optional
//! everywhere. A JSON file loaded at run time **replaces** the classification with the same
//! OID entirely.
//!
//! **CSV** (an official list exported from THL's code server): UTF-8, optional BOM, `;`
//! separated, header line `code;name_fi;name_sv` (the `name_sv` column may be left out).
//! Fields may be quoted with `"`, a `""` inside quotes is one `"`; a quoted field cannot span
//! lines. Blank lines are skipped, and lines starting with `#` before the header are
//! comments. The file name gives the classification: `<base oid>.csv` or
//! `<base oid>.<version>.csv`. A version suffix is recognised only for an OID already known
//! (embedded or loaded earlier); for an unknown OID the whole file name is taken as the base
//! OID and the name of the classification is its OID. A CSV list is the official list: it
//! **replaces** the known codes of the classification and marks it complete, keeping its
//! name; the version from the file name, if any, replaces the known version.
//!
//! Errors name the file and the line (CSV, JSON syntax) or a JSON pointer (JSON content).
//!
//! # Systems in documents
//!
//! Documents write a classification as the bare base OID, the base OID plus version arcs
//! (`1.2.246.537.6.1222.201601`), or either of these after `urn:oid:`;
//! [`Classifications::lookup`] accepts all of them.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

macro_rules! embedded_file {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schemas/classifications/",
                $name
            )),
        )
    };
}

/// The embedded classification files: (file name, contents).
const EMBEDDED: &[(&str, &str)] = &[
    embedded_file!("1.2.246.537.5.1.1997.json"),
    embedded_file!("1.2.246.537.5.40154.2008.json"),
    embedded_file!("1.2.246.537.5.40179.2008.json"),
    embedded_file!("1.2.246.537.6.112.2007.json"),
    embedded_file!("1.2.246.537.6.1221.json"),
    embedded_file!("1.2.246.537.6.1222.json"),
    embedded_file!("1.2.246.537.6.1248.json"),
    embedded_file!("1.2.246.537.6.1253.json"),
    embedded_file!("1.2.246.537.6.1258.json"),
    embedded_file!("1.2.246.537.6.1264.json"),
    embedded_file!("1.2.246.537.6.1277.json"),
    embedded_file!("1.2.246.537.6.1286.json"),
    embedded_file!("1.2.246.537.6.1289.json"),
    embedded_file!("1.2.246.537.6.1502.json"),
    embedded_file!("1.2.246.537.6.1503.json"),
    embedded_file!("1.2.246.537.6.1505.json"),
    embedded_file!("1.2.246.537.6.1506.json"),
    embedded_file!("1.2.246.537.6.202.json"),
    embedded_file!("1.2.246.777.5.99902.2006.json"),
];

const URN_OID: &str = "urn:oid:";

/// Classifications that are registers of organisations and service units, whose codes are
/// unit OIDs (THL's SOTE-organisaatiorekisteri).
const REGISTERS: &[&str] = &["1.2.246.537.6.202"];

/// A Finnish name with an optional Swedish one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Name {
    pub fi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sv: Option<String>,
}

/// One code of a classification with its display names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub code: String,
    pub fi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sv: Option<String>,
}

/// One classification: identity, metadata and the codes known here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    oid: String,
    version: Option<String>,
    name: Name,
    complete: bool,
    source: String,
    codes: Vec<Code>,
    index: HashMap<String, usize>,
}

/// The JSON file shape, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassificationFile {
    oid: String,
    version: Option<String>,
    name: Name,
    complete: bool,
    source: String,
    codes: Vec<Code>,
}

impl Classification {
    /// The base OID, e.g. `1.2.246.537.6.1221`.
    pub fn oid(&self) -> &str {
        &self.oid
    }

    /// The version arc(s) documents append to the OID, e.g. `201601`, when known.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    pub fn name(&self) -> &Name {
        &self.name
    }

    /// Whether the known codes are the whole classification (an unknown code is an error).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// A register (the SOTE organisation register of organisations and service units)
    /// whose codes are OIDs and of which no list is loaded: its codes are checked for OID
    /// form and organisation arc, not for membership. Loading a list makes it an ordinary
    /// classification.
    pub fn is_register(&self) -> bool {
        REGISTERS.contains(&self.oid.as_str()) && !self.complete && self.codes.is_empty()
    }

    /// Where the codes were seen.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The known codes, in file order.
    pub fn codes(&self) -> &[Code] {
        &self.codes
    }

    pub fn code(&self, code: &str) -> Option<&Code> {
        self.index.get(code).map(|&i| &self.codes[i])
    }

    /// Checks one code against this classification.
    pub fn check(&self, code: &str) -> CodeCheck<'_> {
        match self.code(code) {
            Some(known) => CodeCheck::Known {
                fi: &known.fi,
                sv: known.sv.as_deref(),
            },
            None if self.complete => CodeCheck::UnknownInComplete,
            None => CodeCheck::UnknownInIncomplete,
        }
    }

    /// Parses one classification in the JSON file format; `origin` names the file in errors.
    pub fn from_json_str(text: &str, origin: &str) -> Result<Self, ClassificationError> {
        let file: ClassificationFile =
            serde_json::from_str(text).map_err(|e| json_error(origin, &e))?;
        let invalid = |pointer: String, message: String| ClassificationError::Invalid {
            origin: origin.to_owned(),
            pointer,
            message,
        };
        if !is_oid(&file.oid) {
            return Err(invalid(
                "/oid".into(),
                format!("invalid oid {:?}", file.oid),
            ));
        }
        if let Some(version) = &file.version
            && !is_arcs(version)
        {
            return Err(invalid(
                "/version".into(),
                format!("invalid version {version:?}, expected digits separated by dots"),
            ));
        }
        if file.name.fi.trim().is_empty() {
            return Err(invalid("/name/fi".into(), "empty name".into()));
        }
        let mut classification = Classification {
            oid: file.oid,
            version: file.version,
            name: file.name,
            complete: file.complete,
            source: file.source,
            codes: Vec::with_capacity(file.codes.len()),
            index: HashMap::with_capacity(file.codes.len()),
        };
        for (i, code) in file.codes.into_iter().enumerate() {
            if code.code.trim().is_empty() {
                return Err(invalid(format!("/codes/{i}/code"), "empty code".into()));
            }
            if code.fi.trim().is_empty() {
                return Err(invalid(format!("/codes/{i}/fi"), "empty name".into()));
            }
            if let Some(&first) = classification.index.get(&code.code) {
                return Err(invalid(
                    format!("/codes/{i}/code"),
                    format!("duplicate code {:?} (first at /codes/{first})", code.code),
                ));
            }
            classification.push(code);
        }
        Ok(classification)
    }

    fn push(&mut self, code: Code) {
        self.index.insert(code.code.clone(), self.codes.len());
        self.codes.push(code);
    }

    /// Adds a code, or replaces the names of a code already known.
    fn upsert(&mut self, code: Code) {
        match self.index.get(&code.code) {
            Some(&i) => self.codes[i] = code,
            None => self.push(code),
        }
    }

    fn replace_codes(&mut self, codes: Vec<Code>) {
        self.codes.clear();
        self.index.clear();
        for code in codes {
            self.push(code);
        }
    }
}

/// The result of checking one code against one system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck<'a> {
    /// The code is known; its display names.
    Known { fi: &'a str, sv: Option<&'a str> },
    /// The classification is complete and the code is not in it: an error for the caller.
    UnknownInComplete,
    /// The code is not among the codes known here, which are not the whole list: a warning.
    UnknownInIncomplete,
    /// The system names no classification known here.
    UnknownSystem,
}

impl CodeCheck<'_> {
    pub fn is_known(&self) -> bool {
        matches!(self, CodeCheck::Known { .. })
    }
}

/// A system string resolved to a classification, with the version arcs it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemRef<'c, 's> {
    pub classification: &'c Classification,
    /// The version arcs after the base OID (`201601` in `urn:oid:1.2.246.537.6.1222.201601`).
    pub version: Option<&'s str>,
}

/// The classifications known to a run: the embedded set plus any loaded files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classifications {
    by_oid: BTreeMap<String, Classification>,
}

impl Classifications {
    /// The classifications embedded in the binary (`schemas/classifications/`).
    pub fn embedded() -> Self {
        let mut set = Classifications::default();
        for (name, text) in EMBEDDED {
            let origin = format!("embedded:schemas/classifications/{name}");
            let classification = Classification::from_json_str(text, &origin)
                .unwrap_or_else(|e| panic!("embedded classification is invalid: {e}"));
            set.insert(classification);
        }
        set
    }

    /// The embedded set with every `.json` and `.csv` file of `dir` loaded over it, in file
    /// name order.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Self, ClassificationError> {
        let mut set = Self::embedded();
        set.load_dir_over(dir)?;
        Ok(set)
    }

    /// Loads every `.json` and `.csv` file of `dir` over this set, in file name order, and
    /// returns how many files were loaded. Other files are ignored.
    pub fn load_dir_over(&mut self, dir: impl AsRef<Path>) -> Result<usize, ClassificationError> {
        let dir = dir.as_ref();
        let io_error = |source| ClassificationError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut paths = Vec::new();
        for entry in fs::read_dir(dir).map_err(io_error)? {
            let path = entry.map_err(io_error)?.path();
            if FileKind::of(&path).is_some() && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        for path in &paths {
            self.load_file(path)?;
        }
        Ok(paths.len())
    }

    /// Loads one `.json` file (replaces the classification) or `.csv` file (the official
    /// list: replaces the codes and marks the classification complete) over this set.
    pub fn load_file(
        &mut self,
        path: impl AsRef<Path>,
    ) -> Result<&Classification, ClassificationError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let Some(kind) = FileKind::of(path) else {
            return Err(ClassificationError::UnsupportedFile { path: origin });
        };
        let text = fs::read_to_string(path).map_err(|source| ClassificationError::Io {
            path: origin.clone(),
            source,
        })?;
        match kind {
            FileKind::Json => {
                let classification = Classification::from_json_str(&text, &origin)?;
                let oid = classification.oid.clone();
                self.insert(classification);
                Ok(&self.by_oid[&oid])
            }
            FileKind::Csv => {
                let stem = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.get(..n.len() - ".csv".len()))
                    .unwrap_or_default();
                self.load_csv_str(stem, &text, &origin)
            }
        }
    }

    /// Loads an official list in CSV form; `stem` is the file name without `.csv`
    /// (`<base oid>` or `<base oid>.<version>`) and `origin` names the file in errors.
    pub fn load_csv_str(
        &mut self,
        stem: &str,
        text: &str,
        origin: &str,
    ) -> Result<&Classification, ClassificationError> {
        let (oid, version) = match self.lookup(stem) {
            Some(found) => (
                found.classification.oid.clone(),
                found.version.map(str::to_owned),
            ),
            None if is_oid(stem) => (stem.to_owned(), None),
            None => {
                return Err(ClassificationError::Csv {
                    origin: origin.to_owned(),
                    line: 0,
                    message: format!("file name {stem:?} is not <oid>.csv or <oid>.<version>.csv"),
                });
            }
        };
        let codes = parse_csv(text, origin)?;
        let source = format!("{origin} (official list loaded at run time)");
        let classification = self
            .by_oid
            .entry(oid.clone())
            .or_insert_with(|| Classification {
                name: Name {
                    fi: oid.clone(),
                    sv: None,
                },
                oid,
                version: None,
                complete: true,
                source: String::new(),
                codes: Vec::new(),
                index: HashMap::new(),
            });
        classification.replace_codes(codes);
        classification.complete = true;
        classification.source = source;
        if version.is_some() {
            classification.version = version;
        }
        Ok(classification)
    }

    /// Adds or replaces a classification, returning the one it replaced.
    pub fn insert(&mut self, classification: Classification) -> Option<Classification> {
        self.by_oid
            .insert(classification.oid.clone(), classification)
    }

    /// Adds codes to a known classification (a code already known gets the new names).
    /// `complete: true` marks the classification complete; `false` leaves the flag as it
    /// is. Used by the structures catalogue to register the specific document type codes.
    pub fn add_codes<I, C, F, S>(
        &mut self,
        oid: &str,
        codes: I,
        complete: bool,
    ) -> Result<(), ClassificationError>
    where
        I: IntoIterator<Item = (C, F, Option<S>)>,
        C: Into<String>,
        F: Into<String>,
        S: Into<String>,
    {
        let Some(classification) = self.by_oid.get_mut(oid) else {
            return Err(ClassificationError::UnknownClassification {
                oid: oid.to_owned(),
            });
        };
        for (code, fi, sv) in codes {
            classification.upsert(Code {
                code: code.into(),
                fi: fi.into(),
                sv: sv.map(Into::into),
            });
        }
        if complete {
            classification.complete = true;
        }
        Ok(())
    }

    /// The classification with this base OID.
    pub fn get(&self, oid: &str) -> Option<&Classification> {
        self.by_oid.get(oid)
    }

    /// Resolves a system as written in documents: `<oid>`, `<oid>.<version>`, or either
    /// after `urn:oid:`. The longest known base OID wins; what follows it must be version
    /// arcs (digits separated by dots).
    pub fn lookup<'s>(&self, system: &'s str) -> Option<SystemRef<'_, 's>> {
        let bare = strip_urn_oid(system);
        let mut candidate = bare;
        loop {
            if let Some(classification) = self.by_oid.get(candidate) {
                let rest = &bare[candidate.len()..];
                if rest.is_empty() {
                    return Some(SystemRef {
                        classification,
                        version: None,
                    });
                }
                let version = rest.strip_prefix('.').filter(|v| is_arcs(v))?;
                return Some(SystemRef {
                    classification,
                    version: Some(version),
                });
            }
            let (shorter, _) = candidate.rsplit_once('.')?;
            candidate = shorter;
        }
    }

    /// Checks a code written with a system as documents write it.
    pub fn check_code(&self, system: &str, code: &str) -> CodeCheck<'_> {
        match self.lookup(system) {
            Some(found) => found.classification.check(code),
            None => CodeCheck::UnknownSystem,
        }
    }

    /// All classifications, ordered by OID.
    pub fn iter(&self) -> impl Iterator<Item = &Classification> {
        self.by_oid.values()
    }

    pub fn len(&self) -> usize {
        self.by_oid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_oid.is_empty()
    }
}

/// Errors from loading classifications.
#[derive(Debug, thiserror::Error)]
pub enum ClassificationError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{origin}:{line}:{column}: {message}")]
    Json {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}:{line}: {message}")]
    Csv {
        origin: String,
        line: usize,
        message: String,
    },
    #[error("{origin}: {pointer}: {message}")]
    Invalid {
        origin: String,
        pointer: String,
        message: String,
    },
    #[error("{path}: unsupported file type, expected .json or .csv")]
    UnsupportedFile { path: String },
    #[error("unknown classification {oid}")]
    UnknownClassification { oid: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Json,
    Csv,
}

impl FileKind {
    fn of(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?;
        if ext.eq_ignore_ascii_case("json") {
            Some(FileKind::Json)
        } else if ext.eq_ignore_ascii_case("csv") {
            Some(FileKind::Csv)
        } else {
            None
        }
    }
}

fn json_error(origin: &str, error: &serde_json::Error) -> ClassificationError {
    ClassificationError::Json {
        origin: origin.to_owned(),
        line: error.line(),
        column: error.column(),
        message: json_message(error),
    }
}

/// serde_json's message without its trailing " at line L column C".
pub(crate) fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// Parses the CSV official-list format (see the module documentation).
fn parse_csv(text: &str, origin: &str) -> Result<Vec<Code>, ClassificationError> {
    let error = |line: usize, message: String| ClassificationError::Csv {
        origin: origin.to_owned(),
        line,
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut columns = 0;
    let mut codes: Vec<Code> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.split('\n').enumerate() {
        let number = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if columns == 0 {
            if line.starts_with('#') {
                continue;
            }
            let header = split_record(line).map_err(|m| error(number, m))?;
            let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
            if header != ["code", "name_fi", "name_sv"] && header != ["code", "name_fi"] {
                return Err(error(
                    number,
                    format!(
                        "expected header code;name_fi;name_sv, found {:?}",
                        header.join(";")
                    ),
                ));
            }
            columns = header.len();
            continue;
        }
        let fields = split_record(line).map_err(|m| error(number, m))?;
        if fields.len() != columns {
            return Err(error(
                number,
                format!("expected {columns} fields, found {}", fields.len()),
            ));
        }
        let code = fields[0].trim();
        if code.is_empty() {
            return Err(error(number, "empty code".into()));
        }
        let fi = fields[1].trim();
        if fi.is_empty() {
            return Err(error(number, format!("empty name_fi for code {code:?}")));
        }
        if let Some(first) = seen.get(code) {
            return Err(error(
                number,
                format!("duplicate code {code:?} (first on line {first})"),
            ));
        }
        seen.insert(code.to_owned(), number);
        let sv = fields
            .get(2)
            .map(|sv| sv.trim())
            .filter(|sv| !sv.is_empty())
            .map(str::to_owned);
        codes.push(Code {
            code: code.to_owned(),
            fi: fi.to_owned(),
            sv,
        });
    }
    if columns == 0 {
        return Err(error(1, "missing header code;name_fi;name_sv".into()));
    }
    Ok(codes)
}

/// Splits one `;`-separated record with optional `"` quoting (`""` escapes a quote).
fn split_record(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field".into()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(';') => fields.push(field),
                Some(c) => return Err(format!("unexpected {c:?} after a closing quote")),
            }
            continue;
        }
        loop {
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(';') => break,
                Some(c) => field.push(c),
            }
        }
        fields.push(field);
    }
}

pub(crate) fn strip_urn_oid(system: &str) -> &str {
    match system.get(..URN_OID.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(URN_OID) => &system[URN_OID.len()..],
        _ => system,
    }
}

/// Dot-separated arcs of digits without leading zeros.
pub(crate) fn is_arcs(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|arc| {
            !arc.is_empty()
                && arc.bytes().all(|b| b.is_ascii_digit())
                && (arc == "0" || !arc.starts_with('0'))
        })
}

/// An OID: at least two arcs.
pub(crate) fn is_oid(text: &str) -> bool {
    is_arcs(text) && text.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The confirmed codes, row by row: (oid, version, codes with Finnish names).
    /// 1.2.246.537.6.112.2007 and 1.2.246.537.6.1286 are confirmed without names; their
    /// names are the displayName of the real Kanta example documents.
    /// One row: base OID, version, (code, Finnish name) pairs.
    type Row = (
        &'static str,
        Option<&'static str>,
        &'static [(&'static str, &'static str)],
    );

    const DOMAIN_SECTION_3: &[Row] = &[
        (
            "1.2.246.537.6.1221",
            Some("201601"),
            &[
                ("10", "Lastensuojelu"),
                ("15", "Päihdehuolto"),
                ("20", "Vammaispalvelut"),
                ("24", "Lapsiperheiden palvelut"),
            ],
        ),
        (
            "1.2.246.537.6.1222",
            Some("201601"),
            &[
                ("2", "Ammatillinen perhehoito"),
                ("15", "Kasvatus- ja perheneuvonta"),
                ("24", "Laitospalvelu"),
                ("31", "Perhehoito"),
                ("37", "Päivätoiminta"),
                ("45", "Sosiaaliohjaus"),
                ("46", "Sosiaalityö"),
                ("51", "Tukisuhdetoiminta"),
                ("55", "Vammaisten henkilöiden työtoiminta"),
                ("85", "Ympärivuorokautinen palveluasuminen"),
                ("93", "Asumisen tuki"),
                ("94", "Lapsen asumisen tuki"),
                ("99", "Taloudellisen toimintakyvyn edistäminen"),
            ],
        ),
        (
            "1.2.246.537.6.1506",
            Some("201701"),
            &[("15", "Suunnitelma")],
        ),
        (
            "1.2.246.537.6.1277",
            Some("201701"),
            &[("3", "Asiakkuuden suunnittelu")],
        ),
        (
            "1.2.246.537.6.1505",
            Some("201601"),
            &[
                ("1", "Asiakkuusasiakirja"),
                ("5", "Toisen tai myöhemmän vaiheen asiakasasiakirja"),
            ],
        ),
        ("1.2.246.537.6.1502", Some("201601"), &[("2", "XHTML_1.1")]),
        ("1.2.246.537.5.40179.2008", None, &[("5", "JSON")]),
        (
            "1.2.246.537.5.40154.2008",
            None,
            &[("3", "Arkistointivalmis")],
        ),
        (
            "1.2.246.537.6.1264",
            Some("201701"),
            &[("1", "Sosiaalihuollon asiakasrekisteri")],
        ),
        (
            "1.2.246.537.6.1258",
            Some("201601"),
            &[("1", "Säilytetään pysyvästi")],
        ),
        (
            "1.2.246.777.5.99902.2006",
            None,
            &[("6", "Sosiaalihuollon salassapidettävä")],
        ),
        (
            "1.2.246.537.6.112.2007",
            None,
            &[("K", "Kyllä"), ("E", "Ei")],
        ),
        (
            "1.2.246.537.5.1.1997",
            None,
            &[("1", "Mies"), ("2", "Nainen")],
        ),
        (
            "1.2.246.537.6.1503",
            Some("201601"),
            &[
                ("SP1", "Asiakkuusasiakirjan arkistointi"),
                ("SP17", "Asiakasasiakirjan arkistointi"),
            ],
        ),
        (
            "1.2.246.537.6.1289",
            Some("201901"),
            &[("1", "Palvelunjärjestäjän rekisterin oma käyttö")],
        ),
        (
            "1.2.246.537.6.1286",
            Some("201901"),
            &[(
                "1",
                "Alaikäisen asiakkaan asiakirja voidaan luovuttaa huoltajille ja muille \
                 tiedonsaantiin oikeutetuille, koska alaikäinen ei kiellä asiakirjan \
                 luovuttamista",
            )],
        ),
        (
            "1.2.246.537.6.1253",
            Some("201501"),
            &[("1", "saavutettu kokonaan")],
        ),
        (
            "1.2.246.537.6.1248",
            None,
            &[("1", "myönteinen"), ("2", "kielteinen")],
        ),
        ("1.2.246.537.6.202", Some("2008"), &[]),
    ];

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "rakenne-classifications-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn embedded_matches_domain_section_3_exactly() {
        let set = Classifications::embedded();
        assert_eq!(set.len(), DOMAIN_SECTION_3.len());
        for (oid, version, codes) in DOMAIN_SECTION_3 {
            let c = set.get(oid).unwrap_or_else(|| panic!("{oid} missing"));
            assert_eq!(c.version(), *version, "{oid}");
            assert!(!c.is_complete(), "{oid} must be incomplete");
            assert_eq!(c.codes().len(), codes.len(), "{oid} code count");
            for (code, fi) in *codes {
                assert_eq!(
                    c.check(code),
                    CodeCheck::Known { fi, sv: None },
                    "{oid} {code}"
                );
            }
            assert!(!c.source().is_empty());
        }
    }

    #[test]
    fn spot_checks() {
        let set = Classifications::embedded();
        let check = |system, code| set.check_code(system, code);
        assert_eq!(
            check("1.2.246.537.6.1221", "24"),
            CodeCheck::Known {
                fi: "Lapsiperheiden palvelut",
                sv: None
            }
        );
        assert_eq!(
            check("1.2.246.537.6.1222.201601", "85"),
            CodeCheck::Known {
                fi: "Ympärivuorokautinen palveluasuminen",
                sv: None
            }
        );
        assert_eq!(
            check("urn:oid:1.2.246.537.6.1505.201601", "5"),
            CodeCheck::Known {
                fi: "Toisen tai myöhemmän vaiheen asiakasasiakirja",
                sv: None
            }
        );
        assert_eq!(
            check("1.2.246.537.6.1503.201601", "SP17"),
            CodeCheck::Known {
                fi: "Asiakasasiakirjan arkistointi",
                sv: None
            }
        );
        assert_eq!(
            check("1.2.246.537.6.112.2007", "K"),
            CodeCheck::Known {
                fi: "Kyllä",
                sv: None
            }
        );
        assert_eq!(set.get("1.2.246.537.6.1506").unwrap().codes().len(), 1);
        assert!(set.get("1.2.246.537.6.202").unwrap().codes().is_empty());
    }

    /// Cross-checks the embedded data against the classification table of the project's
    /// shared domain brief (`../shared/docs`, development and CI); the codes column is parsed as
    /// "<code> <name>, <code> <name>, ...".
    #[test]
    #[cfg_attr(not(shared_data), ignore = "needs ../shared/docs")]
    fn embedded_matches_domain_md_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/docs/DOMAIN.md");
        let text = fs::read_to_string(path).expect("../shared/docs holds the domain brief");
        let set = Classifications::embedded();
        let section = text
            .split("## 3. Classifications")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("section 3");
        let mut rows = 0;
        for line in section.lines().filter(|l| l.starts_with("| 1.")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (oid, codes) = (cells[1], cells[3]);
            let c = set.get(oid).unwrap_or_else(|| panic!("{oid} missing"));
            rows += 1;
            let expected: Vec<(&str, Option<&str>)> = match oid {
                "1.2.246.537.6.1506" => vec![("15", Some("Suunnitelma"))],
                "1.2.246.537.6.202" => vec![],
                _ => codes
                    .split(", ")
                    .map(|item| match item.split_once(' ') {
                        Some((code, name)) => (code, Some(name)),
                        None => (item, None),
                    })
                    .collect(),
            };
            assert_eq!(c.codes().len(), expected.len(), "{oid}");
            for (code, name) in expected {
                let known = c.code(code).unwrap_or_else(|| panic!("{oid} {code}"));
                if let Some(name) = name {
                    assert_eq!(known.fi, name, "{oid} {code}");
                }
            }
        }
        assert_eq!(rows, set.len());
    }

    #[test]
    fn every_data_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/classifications");
        let mut on_disk: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".json"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        for (name, _) in EMBEDDED {
            let set = Classifications::embedded();
            let oid = name.strip_suffix(".json").unwrap();
            assert!(set.get(oid).is_some(), "{name} holds another oid");
        }
    }

    #[test]
    fn lookup_accepts_document_forms() {
        let set = Classifications::embedded();
        let found = set.lookup("urn:oid:1.2.246.537.6.1222.201601").unwrap();
        assert_eq!(found.classification.oid(), "1.2.246.537.6.1222");
        assert_eq!(found.version, Some("201601"));
        let found = set.lookup("1.2.246.537.6.1222").unwrap();
        assert_eq!(found.version, None);
        let found = set.lookup("urn:oid:1.2.246.537.6.1221").unwrap();
        assert_eq!(found.classification.oid(), "1.2.246.537.6.1221");
        let found = set.lookup("1.2.246.537.6.112.2007").unwrap();
        assert_eq!(found.classification.oid(), "1.2.246.537.6.112.2007");
        assert_eq!(found.version, None);
        assert!(set.lookup("1.2.246.537.6.1222.abc").is_none());
        assert!(set.lookup("1.2.246.537.6.1222.").is_none());
        assert!(set.lookup("1.2.246.537.6.9999").is_none());
        assert!(set.lookup("lastensuojelun_asiakassuunnitelma/x").is_none());
        assert!(set.lookup("").is_none());
    }

    #[test]
    fn unknown_codes() {
        let set = Classifications::embedded();
        assert_eq!(
            set.check_code("urn:oid:1.2.246.537.6.1221.201601", "11"),
            CodeCheck::UnknownInIncomplete
        );
        assert_eq!(
            set.check_code("1.2.246.537.6.9999", "1"),
            CodeCheck::UnknownSystem
        );
    }

    #[test]
    fn add_codes_registers_specific_types() {
        let mut set = Classifications::embedded();
        set.add_codes(
            "1.2.246.537.6.1506",
            [(
                "15007",
                "Lapsiperheiden palvelujen asiakassuunnitelma",
                None::<&str>,
            )],
            true,
        )
        .unwrap();
        let c = set.get("1.2.246.537.6.1506").unwrap();
        assert!(c.is_complete());
        assert!(c.code("15").is_some());
        assert!(
            set.check_code("1.2.246.537.6.1506.201701", "15007")
                .is_known()
        );
        assert_eq!(
            set.check_code("1.2.246.537.6.1506.201701", "99999"),
            CodeCheck::UnknownInComplete
        );
        let err = set
            .add_codes("1.2.3", [("1", "x", None::<String>)], false)
            .unwrap_err();
        assert_eq!(err.to_string(), "unknown classification 1.2.3");
    }

    #[test]
    fn csv_replaces_codes_and_marks_complete() {
        let dir = temp_dir("csv");
        let path = dir.join("1.2.246.537.6.1221.201601.csv");
        fs::write(
            &path,
            "\u{feff}# exported from the code server\r\ncode;name_fi;name_sv\r\n\
             10;Lastensuojelu;Barnskydd\r\n\
             \"11\";\"Nimi; jossa \"\"lainaus\"\"\";\r\n\r\n",
        )
        .unwrap();
        let mut set = Classifications::embedded();
        let c = set.load_file(&path).unwrap();
        assert!(c.is_complete());
        assert_eq!(c.version(), Some("201601"));
        assert_eq!(c.name().fi, "Sosiaalihuolto - Palvelutehtävä");
        assert_eq!(c.codes().len(), 2);
        assert_eq!(
            set.check_code("1.2.246.537.6.1221", "10"),
            CodeCheck::Known {
                fi: "Lastensuojelu",
                sv: Some("Barnskydd")
            }
        );
        assert_eq!(
            set.check_code("1.2.246.537.6.1221", "11"),
            CodeCheck::Known {
                fi: "Nimi; jossa \"lainaus\"",
                sv: None
            }
        );
        assert_eq!(
            set.check_code("1.2.246.537.6.1221", "24"),
            CodeCheck::UnknownInComplete
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn csv_errors_carry_file_and_line() {
        let dir = temp_dir("csv-errors");
        let path = dir.join("1.2.246.537.6.1222.csv");
        fs::write(
            &path,
            "code;name_fi;name_sv\n2;Ammatillinen perhehoito;\n3;vain kaksi\n",
        )
        .unwrap();
        let mut set = Classifications::embedded();
        let err = set.load_file(&path).unwrap_err();
        assert!(
            matches!(err, ClassificationError::Csv { line: 3, .. }),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!("{}:3: expected 3 fields, found 2", path.display())
        );

        fs::write(&path, "code;name_fi\n1;\"auki\n").unwrap();
        let err = set.load_file(&path).unwrap_err();
        assert!(
            err.to_string().ends_with(":2: unterminated quoted field"),
            "{err}"
        );

        fs::write(&path, "koodi;nimi\n").unwrap();
        let err = set.load_file(&path).unwrap_err();
        assert!(
            matches!(err, ClassificationError::Csv { line: 1, .. }),
            "{err}"
        );

        fs::write(&path, "code;name_fi\n1;a\n1;b\n").unwrap();
        let err = set.load_file(&path).unwrap_err();
        assert!(
            err.to_string()
                .ends_with(":3: duplicate code \"1\" (first on line 2)"),
            "{err}"
        );
        // A failed load leaves the set unchanged.
        assert_eq!(set.get("1.2.246.537.6.1222").unwrap().codes().len(), 13);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn load_dir_json_and_new_csv() {
        let dir = temp_dir("dir");
        fs::write(
            dir.join("1.2.246.537.6.1277.json"),
            r#"{"oid": "1.2.246.537.6.1277", "version": "201701",
                "name": {"fi": "Sosiaalihuollon palveluprosessi"}, "complete": true,
                "source": "test", "codes": [{"code": "3", "fi": "Asiakkuuden suunnittelu"}]}"#,
        )
        .unwrap();
        fs::write(dir.join("1.2.3.4.csv"), "code;name_fi\nA;Aa\n").unwrap();
        fs::write(dir.join("README.txt"), "ignored").unwrap();
        let set = Classifications::load_dir(&dir).unwrap();
        assert!(set.get("1.2.246.537.6.1277").unwrap().is_complete());
        let new = set.get("1.2.3.4").unwrap();
        assert!(new.is_complete());
        assert_eq!(new.name().fi, "1.2.3.4");
        assert_eq!(set.len(), DOMAIN_SECTION_3.len() + 1);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn json_errors_carry_file_and_location() {
        let err = Classification::from_json_str("{\n  \"oid\": 1\n}", "x.json").unwrap_err();
        assert!(
            matches!(err, ClassificationError::Json { line: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with("x.json:2:"), "{err}");
        let text = r#"{"oid": "1.2.3", "version": null, "name": {"fi": "n"}, "complete": false,
            "source": "s", "codes": [{"code": "1", "fi": "a"}, {"code": "1", "fi": "b"}]}"#;
        let err = Classification::from_json_str(text, "x.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.json: /codes/1/code: duplicate code \"1\" (first at /codes/0)"
        );
    }

    #[test]
    fn split_record_quoting() {
        assert_eq!(split_record("a;;b").unwrap(), ["a", "", "b"]);
        assert_eq!(split_record("\"a;b\";\"\"").unwrap(), ["a;b", ""]);
        assert!(split_record("\"a\"b").is_err());
    }
}
