//! The national structures nearest to an own-template document, by field overlap.

use std::collections::BTreeSet;

use serde_json::Value;

use super::report::Nearest;
use crate::definitions::catalog::Catalog;

/// Keys that name parts of a value (a code's system, code, display; an identifier's
/// value), which every structure shares and so say nothing about which one is nearest.
const VALUE_PARTS: &[&str] = &["system", "code", "display", "value"];

/// The `n` structures whose element keys overlap the content's keys most (Jaccard index
/// of the two key sets), best first.
pub fn nearest(catalog: &Catalog, content: &Value, n: usize) -> Vec<Nearest> {
    let mut keys = BTreeSet::new();
    collect_keys(content, &mut keys);
    if keys.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<Nearest> = catalog
        .iter()
        .filter_map(|structure| {
            let own: BTreeSet<&str> = structure
                .elements()
                .iter()
                .map(|e| e.key.as_str())
                .filter(|k| !VALUE_PARTS.contains(k))
                .collect();
            let shared = keys.iter().filter(|k| own.contains(*k)).count();
            if shared == 0 {
                return None;
            }
            let union = keys.len() + own.len() - shared;
            Some(Nearest {
                oid: structure.oid().to_string(),
                name: structure.name().clone(),
                score: (shared as f64 / union as f64 * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.oid.cmp(&b.oid)));
    scored.truncate(n);
    scored
}

fn collect_keys<'v>(value: &'v Value, keys: &mut BTreeSet<&'v str>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if !VALUE_PARTS.contains(&key.as_str()) {
                    keys.insert(key);
                }
                collect_keys(child, keys);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_keys(v, keys)),
        _ => {}
    }
}
