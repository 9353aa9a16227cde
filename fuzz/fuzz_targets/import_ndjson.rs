//! The Ndjson import parser (`agriwaste import FILE.ndjson`) on arbitrary bytes: every row is
//! decoded into a survey or a list of problems, never a panic.
#![no_main]

use agriwaste_server::exports::import::{ImportFormat, parse_rows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = parse_rows(ImportFormat::Ndjson, data) {
        for row in rows {
            if let Ok(survey) = row.result {
                // What decodes can be stored: its canonical JSON decodes again.
                let _ = agriwaste_analytics::survey::parse_survey(&survey.canonical_json())
                    .unwrap_or_else(|e| panic!("row {}: {e:?}", row.row));
            }
        }
    }
});
