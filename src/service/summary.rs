//! The verdicts given since start, per structure, service task and custodian: OIDs and
//! codes only, never names or personal data.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use super::metrics::is_service_task;
use super::pb;
use crate::check::report::{Report, Verdict};
use crate::definitions::Definitions;

/// Distinct custodians counted separately; the rest are counted as `other`. Custodian
/// OIDs are not in the definitions, so any well-formed OID is taken until this many are
/// known: the table (and a `GetConformanceSummary` answer) stays bounded, at most this
/// many custodians times the structures and service tasks actually seen.
const MAX_CUSTODIANS: usize = 1_000;
const OTHER: &str = "other";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    structure: String,
    service_task: String,
    custodian: String,
}

#[derive(Default)]
struct Table {
    counts: HashMap<Key, [u64; 4]>,
    custodians: HashSet<String>,
}

/// The summary table, shared by every request.
#[derive(Default)]
pub(crate) struct Summary {
    table: Mutex<Table>,
}

fn column(verdict: Verdict) -> usize {
    match verdict {
        Verdict::FullyConformant => 0,
        Verdict::PartlyConformant => 1,
        Verdict::OwnTemplate => 2,
        Verdict::Unreadable => 3,
    }
}

fn is_oid(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !value.starts_with('.')
        && !value.ends_with('.')
}

impl Summary {
    pub fn record(&self, definitions: &Definitions, report: &Report) {
        let structure = match &report.structure {
            Some(s) if definitions.catalog.get(&s.oid).is_some() => s.oid.clone(),
            Some(_) => OTHER.to_string(),
            None => String::new(),
        };
        let service_task = match report.document.service_task.as_deref() {
            None => String::new(),
            Some(task) if is_service_task(definitions, task) => task.to_string(),
            Some(_) => OTHER.to_string(),
        };
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let custodian = match report.document.custodian.as_deref() {
            None => String::new(),
            Some(oid) if !is_oid(oid) => OTHER.to_string(),
            Some(oid) if table.custodians.contains(oid) => oid.to_string(),
            Some(oid) if table.custodians.len() < MAX_CUSTODIANS => {
                table.custodians.insert(oid.to_string());
                oid.to_string()
            }
            Some(_) => OTHER.to_string(),
        };
        let key = Key {
            structure,
            service_task,
            custodian,
        };
        table.counts.entry(key).or_default()[column(report.verdict)] += 1;
    }

    /// The table, split by custodian when asked, sorted by its keys.
    pub fn snapshot(
        &self,
        by_custodian: bool,
        since_unix_seconds: i64,
    ) -> pb::GetConformanceSummaryResponse {
        let mut rows: BTreeMap<Key, [u64; 4]> = BTreeMap::new();
        {
            let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
            for (key, counts) in &table.counts {
                let mut key = key.clone();
                if !by_custodian {
                    key.custodian.clear();
                }
                let row = rows.entry(key).or_default();
                for (sum, n) in row.iter_mut().zip(counts) {
                    *sum += n;
                }
            }
        }
        let mut total = [0u64; 4];
        for counts in rows.values() {
            for (sum, n) in total.iter_mut().zip(counts) {
                *sum += n;
            }
        }
        pb::GetConformanceSummaryResponse {
            since_unix_seconds,
            total: Some(counts(&total)),
            rows: rows
                .into_iter()
                .map(|(key, c)| pb::SummaryRow {
                    structure_oid: key.structure,
                    service_task: key.service_task,
                    custodian_oid: key.custodian,
                    counts: Some(counts(&c)),
                })
                .collect(),
        }
    }
}

fn counts(c: &[u64; 4]) -> pb::VerdictCounts {
    pb::VerdictCounts {
        fully_conformant: c[0],
        partly_conformant: c[1],
        own_template: c[2],
        unreadable: c[3],
        documents: c.iter().sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::report::DocumentFacts;

    fn report(task: &str, custodian: &str) -> Report {
        Report {
            verdict: Verdict::OwnTemplate,
            structure: None,
            findings: Vec::new(),
            findings_omitted: 0,
            fields: Vec::new(),
            coverage: None,
            nearest: Vec::new(),
            document: DocumentFacts {
                format: "cda",
                service_task: Some(task.to_string()),
                phase: None,
                custodian: Some(custodian.to_string()),
            },
        }
    }

    #[test]
    fn random_codes_and_custodians_stay_bounded() {
        let definitions = Definitions::embedded().unwrap();
        let summary = Summary::default();
        for i in 0..(MAX_CUSTODIANS + 500) {
            summary.record(
                &definitions,
                &report(
                    &(i * 7919 % 1_000_000).to_string(),
                    &format!("1.2.246.10.{i}"),
                ),
            );
        }
        let rows = summary.snapshot(true, 0).rows;
        // Every service task but the loaded codes is `other`; custodians past the cap
        // are summed as `other`.
        assert!(rows.len() <= MAX_CUSTODIANS + 1 + 4 * (MAX_CUSTODIANS + 1));
        assert!(rows.iter().any(|r| r.custodian_oid == OTHER));
        let custodians: HashSet<_> = rows.iter().map(|r| r.custodian_oid.as_str()).collect();
        assert_eq!(custodians.len(), MAX_CUSTODIANS + 1);
        assert!(
            rows.iter()
                .all(|r| ["other", "10", "15", "20", "24"].contains(&r.service_task.as_str()))
        );
        assert_eq!(
            summary.snapshot(false, 0).rows.len(),
            rows.iter()
                .map(|r| r.service_task.as_str())
                .collect::<HashSet<_>>()
                .len()
        );
    }
}
