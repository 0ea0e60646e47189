//! The whole engine over the embedded catalog: any input gets a report or a request error,
//! never a panic; the verdict agrees with the findings.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use rakenne::check::report::{Severity, Verdict};
use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::Definitions;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let definitions = Definitions::embedded().expect("embedded definitions");
        definitions.catalog.compile_all();
        Engine::new(Arc::new(definitions))
    })
}

fuzz_target!(|data: &[u8]| {
    let options = CheckOptions {
        include_fields: true,
        test_environment: data.len() % 2 == 0,
        ..CheckOptions::default()
    };
    if let Ok(report) = engine().check(data, None, &options) {
        let errors = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        if report.verdict == Verdict::FullyConformant {
            assert_eq!(errors, 0);
        }
        if report.verdict == Verdict::Unreadable {
            assert!(errors > 0 || report.findings_omitted > 0);
        }
    }
});
