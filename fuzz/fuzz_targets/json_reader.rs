//! The content JSON reader under the default limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rakenne::document::json::{self, JsonLimits};

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = json::parse(data, &JsonLimits::default()) {
        // What was read can be written back and read again to the same value.
        let text = serde_json::to_vec(&value).expect("serialisable");
        let again = json::parse(&text, &JsonLimits::default()).expect("re-readable");
        assert_eq!(value, again);
    }
});
