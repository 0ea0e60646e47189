//! The crate's layering, checked: no module uses a module of a higher layer, and no file
//! depends on another that depends back on it.
//!
//! The layer table is read from ARCHITECTURE.md (between `<!-- layers -->` and
//! `<!-- /layers -->`), so the document and this test cannot drift apart: a top-level
//! module missing from the table, or listed there but absent, fails too.
//!
//! What counts as a use: every path that starts with `crate::`, `$crate::`, `super::`,
//! `self::`, `rakenne::` (from the binary), or a child module's name, anywhere in a file
//! (imports, function bodies, types, macros). Comments and string literals are skipped:
//! they create no dependency (a doc link to a higher layer is not an import).
//!
//! Layering applies to all code, unit tests included. A file-level cycle is two or more
//! files that use each other, directly or through others. Two kinds of use are left out
//! of that graph: a module's own file (`mod.rs`) naming its children, which is the module
//! tree's containment and not an import (a child using its parent's types still counts);
//! and uses inside `#[cfg(test)]` modules, since a unit test may build its input through
//! the file that calls the code under test (the rules' tests build a `Structure`), which is
//! compiled only into the test binary and adds no dependency to the library.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

// ---------------------------------------------------------------------------------------
// Layer table
// ---------------------------------------------------------------------------------------

/// Top-level module name to layer number, from the table in ARCHITECTURE.md.
fn parse_layers(markdown: &str) -> BTreeMap<String, usize> {
    let start = markdown
        .find("<!-- layers -->")
        .expect("ARCHITECTURE.md has a `<!-- layers -->` marker");
    let end = markdown
        .find("<!-- /layers -->")
        .expect("ARCHITECTURE.md has a `<!-- /layers -->` marker");
    let mut layers = BTreeMap::new();
    for line in markdown[start..end].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| 0 | `lang` | ... |` splits into ["", "0", "`lang`", ..., ""].
        let Some(layer) = cells.get(1).and_then(|c| c.parse::<usize>().ok()) else {
            continue;
        };
        let modules = cells.get(2).copied().unwrap_or_default();
        for name in modules.split('`').skip(1).step_by(2) {
            let previous = layers.insert(name.to_string(), layer);
            assert!(
                previous.is_none(),
                "`{name}` is listed twice in the layer table"
            );
        }
    }
    assert!(
        !layers.is_empty(),
        "the layer table in ARCHITECTURE.md is empty"
    );
    layers
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Rust source as identifiers, `::` and single punctuation, with their 1-based lines;
/// comments, string, byte-string and character literals left out.
fn tokenize(source: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let count_lines = |from: usize, to: usize, line: &mut usize| {
        *line += chars[from..to].iter().filter(|&&c| c == '\n').count();
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let start = i;
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            count_lines(start, i.min(chars.len()), &mut line);
        } else if let Some(end) = raw_string_end(&chars, i) {
            count_lines(i, end, &mut line);
            i = end;
        } else if c == '"' || (c == 'b' && next == Some('"')) {
            let start = i;
            i += if c == 'b' { 2 } else { 1 };
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            count_lines(start, i.min(chars.len()), &mut line);
        } else if c == '\'' || (c == 'b' && next == Some('\'')) {
            // A character literal, or a lifetime / loop label (left as punctuation).
            let quote = if c == 'b' { i + 1 } else { i };
            if chars.get(quote + 1) == Some(&'\\') {
                i = quote + 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(quote + 2) == Some(&'\'') {
                i = quote + 3;
            } else {
                tokens.push((Token::Punct('\''), line));
                i = quote + 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // `r#ident` is a raw identifier, not a raw string (those were taken above).
            if word == "r" && chars.get(i) == Some(&'#') {
                i += 1;
                continue;
            }
            tokens.push((Token::Ident(word), line));
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c == ':' && next == Some(':') {
            tokens.push((Token::PathSep, line));
            i += 2;
        } else {
            tokens.push((Token::Punct(c), line));
            i += 1;
        }
    }
    tokens
}

/// Where a raw (byte) string literal starting at `i` ends, if one starts there.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    // Not the end of an identifier such as `for` or `bar`.
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

// ---------------------------------------------------------------------------------------
// Files, modules and the paths they use
// ---------------------------------------------------------------------------------------

/// One source file: its path under `src/`, the crate it belongs to, and its module path.
#[derive(Debug)]
struct SourceFile {
    path: String,
    /// Part of the binary (`main.rs` and the modules it declares), not of the library.
    bin: bool,
    module: Vec<String>,
    tokens: Vec<(Token, usize)>,
}

/// One path a file uses, resolved to the crate it names and the module path in it.
#[derive(Debug)]
struct Use {
    bin: bool,
    module: Vec<String>,
    line: usize,
    in_test: bool,
}

/// Module path of a file: `check/mod.rs` is `check`, `check/header.rs` is `check::header`.
fn module_of(path: &str) -> Vec<String> {
    let path = path.strip_suffix(".rs").unwrap_or(path);
    let mut parts: Vec<String> = path.split('/').map(str::to_string).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Names a root file declares with `mod NAME;`.
fn declared_modules(tokens: &[(Token, usize)]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for window in tokens.windows(3) {
        if let [
            (Token::Ident(m), _),
            (Token::Ident(name), _),
            (Token::Punct(';'), _),
        ] = window
            && m == "mod"
        {
            names.insert(name.clone());
        }
    }
    names
}

fn source_files(sources: &[(String, String)]) -> Vec<SourceFile> {
    let bin_modules = sources
        .iter()
        .find(|(path, _)| path == "main.rs")
        .map(|(_, text)| declared_modules(&tokenize(text)))
        .unwrap_or_default();
    sources
        .iter()
        .map(|(path, text)| {
            let module = module_of(path);
            let bin = path == "main.rs" || module.first().is_some_and(|m| bin_modules.contains(m));
            SourceFile {
                path: path.clone(),
                bin,
                module,
                tokens: tokenize(text),
            }
        })
        .collect()
}

/// Reads a path after its start at `tokens[i]` (which follows a `::`): identifiers joined
/// by `::`, and `{...}` groups, which give one path per item. Returns the paths (relative
/// to the start) and the index after the path.
fn read_path_tail(tokens: &[(Token, usize)], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        match tokens.get(i).map(|t| &t.0) {
            Some(Token::Ident(name)) => {
                prefix.push(name.clone());
                i += 1;
                if tokens.get(i).map(|t| &t.0) == Some(&Token::PathSep) {
                    i += 1;
                    continue;
                }
                return (vec![prefix], i);
            }
            Some(Token::Punct('{')) => {
                i += 1;
                let mut paths = Vec::new();
                loop {
                    match tokens.get(i).map(|t| &t.0) {
                        None => return (paths, i),
                        Some(Token::Punct('}')) => return (paths, i + 1),
                        Some(Token::Punct(',')) => i += 1,
                        _ => {
                            let (items, next) = read_path_tail(tokens, i);
                            for item in items {
                                let mut path = prefix.clone();
                                path.extend(item);
                                paths.push(path);
                            }
                            // Skip what the item cannot start with (`as x`, `*`).
                            i = next.max(i + 1);
                            while let Some((t, _)) = tokens.get(i) {
                                if matches!(t, Token::Punct(',' | '}')) {
                                    break;
                                }
                                i += 1;
                            }
                        }
                    }
                }
            }
            _ => return (vec![prefix], i),
        }
    }
}

/// Every path `file` uses that names a module of this project, with where it is.
fn uses_of(file: &SourceFile, modules: &BTreeSet<(bool, Vec<String>)>) -> Vec<Use> {
    let tokens = &file.tokens;
    let mut uses = Vec::new();
    // Inline modules open at the current point: (name, brace depth inside, is a test module).
    let mut inline: Vec<(String, usize, bool)> = Vec::new();
    let mut depth = 0usize;
    // Attributes seen since the last item boundary, as text.
    let mut attributes: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i].0;
        let line = tokens[i].1;
        let after_sep = i > 0 && tokens[i - 1].0 == Token::PathSep;
        match token {
            Token::Punct('#') => {
                // `#[...]` or `#![...]`: record its text up to the matching `]`.
                let mut j = i + 1;
                if tokens.get(j).map(|t| &t.0) == Some(&Token::Punct('!')) {
                    j += 1;
                }
                if tokens.get(j).map(|t| &t.0) == Some(&Token::Punct('[')) {
                    let mut level = 0;
                    let mut text = String::new();
                    while let Some((t, _)) = tokens.get(j) {
                        match t {
                            Token::Punct('[') => level += 1,
                            Token::Punct(']') => level -= 1,
                            _ => {}
                        }
                        match t {
                            Token::Ident(s) => text.push_str(s),
                            Token::PathSep => text.push_str("::"),
                            Token::Punct(c) => text.push(*c),
                        }
                        j += 1;
                        if level == 0 {
                            break;
                        }
                    }
                    attributes.push(text);
                    i = j;
                    continue;
                }
                i += 1;
                continue;
            }
            Token::Punct('{') => {
                depth += 1;
                attributes.clear();
            }
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d, _)| depth < *d) {
                    inline.pop();
                }
                attributes.clear();
            }
            Token::Punct(';') => attributes.clear(),
            Token::Ident(word) if word == "mod" => {
                if let (Some((Token::Ident(name), _)), Some((Token::Punct('{'), _))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    let test = attributes.iter().any(|a| a == "[cfg(test)]");
                    inline.push((name.clone(), depth + 1, test));
                    depth += 1;
                    attributes.clear();
                    i += 3;
                    continue;
                }
            }
            _ => {}
        }
        let in_test = inline.iter().any(|(_, _, test)| *test);
        let mut current = file.module.clone();
        current.extend(inline.iter().map(|(name, _, _)| name.clone()));
        // A path start: `crate::`, `super::`, `self::`, `rakenne::` or `child::`.
        let starts_path = !after_sep && tokens.get(i + 1).map(|t| &t.0) == Some(&Token::PathSep);
        if let (true, Token::Ident(word)) = (starts_path, token) {
            let mut bin = file.bin;
            let mut base: Option<Vec<String>> = match word.as_str() {
                "crate" => Some(Vec::new()),
                "rakenne" if file.bin => {
                    bin = false;
                    Some(Vec::new())
                }
                "self" => Some(current.clone()),
                "super" => {
                    let mut base = current.clone();
                    base.pop();
                    Some(base)
                }
                child => {
                    // A child module named without `self::`, as `mod.rs` files do.
                    let mut path = current.clone();
                    path.push(child.to_string());
                    modules.contains(&(file.bin, path)).then(|| current.clone())
                }
            };
            let mut j = i + 2;
            if word == "super" {
                // `super::super::...`
                while let (Some((Token::Ident(s), _)), Some((Token::PathSep, _))) =
                    (tokens.get(j), tokens.get(j + 1))
                {
                    if s != "super" {
                        break;
                    }
                    if let Some(b) = base.as_mut() {
                        b.pop();
                    }
                    j += 2;
                }
            }
            if let Some(base) = base.take() {
                let start = if matches!(word.as_str(), "crate" | "rakenne" | "self" | "super") {
                    j
                } else {
                    i
                };
                let (paths, next) = read_path_tail(tokens, start);
                for path in paths {
                    let mut module = base.clone();
                    module.extend(path);
                    uses.push(Use {
                        bin,
                        module,
                        line,
                        in_test,
                    });
                }
                i = next.max(i + 1);
                continue;
            }
        }
        i += 1;
    }
    uses
}

/// The file a module path lands in: its longest prefix that is a file's module.
fn file_of<'a>(
    files: &'a [SourceFile],
    macros: &BTreeMap<String, usize>,
    bin: bool,
    module: &[String],
) -> Option<&'a SourceFile> {
    // `crate::msg` names a `#[macro_export]` macro, defined in some file.
    if module.len() == 1
        && !bin
        && let Some(&index) = macros.get(&module[0])
    {
        return Some(&files[index]);
    }
    (0..=module.len()).rev().find_map(|n| {
        files
            .iter()
            .find(|f| f.bin == bin && f.module == module[..n])
    })
}

/// `#[macro_export]` macros of the library: name to the index of the defining file.
fn exported_macros(files: &[SourceFile]) -> BTreeMap<String, usize> {
    let mut macros = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        let t = &file.tokens;
        for k in 0..t.len() {
            if let (Token::Ident(m), Some((Token::Punct('!'), _)), Some((Token::Ident(name), _))) =
                (&t[k].0, t.get(k + 1), t.get(k + 2))
                && m == "macro_rules"
                && k >= 4
                && matches!(&t[k - 2].0, Token::Ident(e) if e == "macro_export")
            {
                macros.insert(name.clone(), index);
            }
        }
    }
    macros
}

/// The layer of a file: its top-level module's, or `None` for the crate roots.
fn top_of(file: &SourceFile) -> Option<&str> {
    file.module.first().map(String::as_str)
}

/// Everything wrong with the layering of `sources` (path under `src/`, text) against
/// `layers`: one line per violation.
fn check_sources(sources: &[(String, String)], layers: &BTreeMap<String, usize>) -> Vec<String> {
    let files = source_files(sources);
    let modules: BTreeSet<(bool, Vec<String>)> =
        files.iter().map(|f| (f.bin, f.module.clone())).collect();
    let macros = exported_macros(&files);
    let mut problems = Vec::new();

    // Every top-level module is in the table, and the table names only real modules.
    let tops: BTreeSet<&str> = files.iter().filter_map(top_of).collect();
    for top in &tops {
        if !layers.contains_key(*top) {
            problems.push(format!(
                "module `{top}` is not in the layer table of ARCHITECTURE.md"
            ));
        }
    }
    for name in layers.keys() {
        if !tops.contains(name.as_str()) {
            problems.push(format!(
                "the layer table names `{name}`, which is no module under src/"
            ));
        }
    }

    // Layers, and the file graph for cycles.
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for file in &files {
        let Some(top) = top_of(file) else {
            continue; // lib.rs and main.rs declare the modules; they sit above all.
        };
        let Some(&layer) = layers.get(top) else {
            continue;
        };
        for used in uses_of(file, &modules) {
            let Some(target) = file_of(&files, &macros, used.bin, &used.module) else {
                continue; // an item of a crate root, or a path into another crate
            };
            if let Some(target_top) = top_of(target)
                && let Some(&target_layer) = layers.get(target_top)
                && target_layer > layer
            {
                problems.push(format!(
                    "src/{}:{}: `{top}` (layer {layer}) uses `{}` (layer {target_layer})",
                    file.path,
                    used.line,
                    used.module.join("::"),
                ));
            }
            // A module's own file naming its children (`mod.rs` using `bindings::X`) is
            // containment, the direction the module tree already has; a cycle needs a
            // use the other way round or between files that are not parent and child.
            let into_child =
                target.module.len() > file.module.len() && target.module.starts_with(&file.module);
            if !used.in_test && target.path != file.path && !into_child {
                edges.entry(&file.path).or_default().insert(&target.path);
            }
        }
    }
    for cycle in cycles(&edges) {
        problems.push(format!(
            "import cycle between files: {} use each other",
            cycle.join(", ")
        ));
    }
    problems
}

/// The cycles of a directed graph: the nodes of each strongly connected component of more
/// than one node.
fn cycles<'a>(edges: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<Vec<&'a str>> {
    let nodes: BTreeSet<&str> = edges
        .iter()
        .flat_map(|(from, to)| std::iter::once(*from).chain(to.iter().copied()))
        .collect();
    let reaches = |from: &'a str| -> BTreeSet<&'a str> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(node) = stack.pop() {
            for next in edges.get(node).into_iter().flatten() {
                if seen.insert(*next) {
                    stack.push(next);
                }
            }
        }
        seen
    };
    let mut found = Vec::new();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    for node in &nodes {
        if reported.contains(node) {
            continue;
        }
        let forward = reaches(node);
        if !forward.contains(node) {
            continue;
        }
        // The component: what the node reaches and what reaches it back.
        let component: Vec<&str> = forward
            .iter()
            .copied()
            .filter(|other| reaches(other).contains(node))
            .collect();
        reported.extend(component.iter().copied());
        found.push(component);
    }
    found
}

fn read_sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            out.push((relative, text));
        }
    }
}

fn project_layers() -> BTreeMap<String, usize> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let markdown = fs::read_to_string(root.join("ARCHITECTURE.md"))
        .expect("ARCHITECTURE.md exists at the repository root");
    parse_layers(&markdown)
}

// ---------------------------------------------------------------------------------------
// The project
// ---------------------------------------------------------------------------------------

#[test]
fn no_module_uses_a_higher_layer_and_no_file_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = Vec::new();
    read_sources(&root, &root, &mut sources);
    assert!(sources.len() > 20, "read only {} files", sources.len());
    let problems = check_sources(&sources, &project_layers());
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------
// The checker itself, on made-up sources
// ---------------------------------------------------------------------------------------

fn fake_layers() -> BTreeMap<String, usize> {
    parse_layers(
        "<!-- layers -->\n| layer | modules | job |\n|---|---|---|\n\
         | 0 | `findings` | types |\n| 1 | `document` | readers |\n\
         | 2 | `check` | rules |\n| 3 | `cli` | binary |\n<!-- /layers -->\n",
    )
}

/// A small project: the library declares three modules, the binary one.
fn fake(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut sources: Vec<(String, String)> = vec![
        (
            "lib.rs",
            "pub mod check;\npub mod document;\npub mod findings;\n",
        ),
        ("main.rs", "mod cli;\nfn main() { cli::run(); }\n"),
        ("findings.rs", "pub struct Finding;\n"),
        ("document/mod.rs", "pub mod cda;\npub mod xml;\n"),
        ("document/xml.rs", "pub struct Node;\n"),
        ("check/mod.rs", "pub fn run() {}\n"),
        ("cli/mod.rs", "pub fn run() { rakenne::check::run(); }\n"),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_string(), t.to_string()))
    .collect();
    for (path, text) in extra {
        sources.retain(|(p, _)| p != path);
        sources.push((path.to_string(), text.to_string()));
    }
    sources
}

fn problems_of(extra: &[(&str, &str)]) -> Vec<String> {
    check_sources(&fake(extra), &fake_layers())
}

#[test]
fn a_clean_fake_project_passes() {
    let problems = problems_of(&[(
        "document/cda.rs",
        "use crate::findings::Finding;\nuse super::xml::Node;\n\
         // crate::check::run() in a comment\n\
         /* and crate::check in a /* nested */ block */\n\
         const S: &str = \"crate::check::run\";\nconst R: &str = r#\"crate::check\"#;\n\
         fn f<'a>(c: char) -> bool { c == '\"' }\n",
    )]);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn an_import_from_a_higher_layer_fails() {
    let problems = problems_of(&[("document/cda.rs", "use crate::check::run;\n")]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("src/document/cda.rs:1")
            && problems[0].contains("`document` (layer 1) uses `check::run` (layer 2)"),
        "{problems:?}"
    );
}

#[test]
fn a_path_in_a_function_body_counts() {
    let problems = problems_of(&[(
        "document/cda.rs",
        "fn f() {\n    if true {\n        crate::check::run();\n    }\n}\n",
    )]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("cda.rs:3"), "{problems:?}");
}

#[test]
fn grouped_super_and_test_module_uses_count() {
    for source in [
        "use crate::{findings::Finding, check::run};\n",
        "use super::super::check::run;\n",
        "use crate::{findings::{self, Finding}, check::{self}};\n",
        "#[cfg(test)]\nmod tests {\n    use crate::check::run;\n}\n",
        "macro_rules! m { () => { $crate::check::run() }; }\n",
    ] {
        let problems = problems_of(&[("document/cda.rs", source)]);
        assert_eq!(problems.len(), 1, "{source}: {problems:?}");
    }
}

#[test]
fn an_exported_macro_belongs_to_its_file() {
    let problems = problems_of(&[
        (
            "check/mod.rs",
            "#[macro_export]\nmacro_rules! rule { () => {} }\n",
        ),
        ("findings.rs", "use crate::rule;\n"),
    ]);
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn a_file_cycle_within_a_layer_fails() {
    let problems = problems_of(&[
        ("document/mod.rs", "pub mod a;\npub mod b;\npub mod xml;\n"),
        ("document/a.rs", "use super::b::B;\npub struct A;\n"),
        ("document/b.rs", "pub struct B(crate::document::a::A);\n"),
    ]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("import cycle")
            && problems[0].contains("document/a.rs")
            && problems[0].contains("document/b.rs"),
        "{problems:?}"
    );
}

#[test]
fn a_parent_naming_its_child_is_no_cycle_but_a_child_through_a_sibling_is() {
    let problems = problems_of(&[
        (
            "document/mod.rs",
            "pub mod xml;\npub struct Limits(xml::Node);\n",
        ),
        (
            "document/xml.rs",
            "pub struct Node;\nfn f(_: super::Limits) {}\n",
        ),
    ]);
    assert!(problems.is_empty(), "{problems:?}");
    let problems = problems_of(&[
        (
            "document/mod.rs",
            "pub mod a;\npub mod xml;\npub struct Limits;\n",
        ),
        ("document/a.rs", "use super::xml::Node;\npub struct A;\n"),
        (
            "document/xml.rs",
            "pub struct Node;\nfn f(_: crate::document::a::A) {}\n",
        ),
    ]);
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn a_cycle_through_a_test_module_is_allowed() {
    let problems = problems_of(&[
        ("document/mod.rs", "pub mod a;\npub mod b;\npub mod xml;\n"),
        ("document/a.rs", "use super::b::B;\n"),
        (
            "document/b.rs",
            "pub struct B;\n#[cfg(test)]\nmod tests {\n    use super::super::a;\n}\n",
        ),
    ]);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn modules_missing_from_the_table_fail() {
    let problems = problems_of(&[("report.rs", "pub fn render() {}\n")]);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`report` is not in the layer table")),
        "{problems:?}"
    );
    let mut layers = fake_layers();
    layers.insert("service".to_string(), 9);
    let problems = check_sources(&fake(&[]), &layers);
    assert!(
        problems.iter().any(|p| p.contains("names `service`")),
        "{problems:?}"
    );
}

#[test]
fn the_binary_may_use_every_layer_and_the_library_not_the_binary() {
    // cli (layer 3) using check (2) through `rakenne::` is fine, as `fake` shows; the
    // library cannot name the binary's modules at all, so there is nothing to check there.
    assert!(problems_of(&[]).is_empty());
    let problems = problems_of(&[("cli/mod.rs", "pub fn run() { crate::cli::run(); }\n")]);
    assert!(problems.is_empty(), "{problems:?}");
}
