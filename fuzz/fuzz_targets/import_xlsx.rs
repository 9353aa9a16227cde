//! The Xlsx import parser (`agriwaste import FILE.xlsx`) on arbitrary bytes: every row is
//! decoded into a survey or a list of problems, never a panic.
#![no_main]

use agriwaste_server::exports::import::{ImportFormat, parse_rows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // calamine panics on some malformed workbooks (integer overflow with overflow checks
    // on); `xlsx::read_from` catches that and returns an error. libfuzzer-sys's panic
    // hook would abort at the panic itself, before the catch: restore the default hook.
    // A panic that escapes `parse_rows` still aborts (libfuzzer-sys checks the result).
    static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();
    DEFAULT_HOOK.call_once(|| {
        let _ = std::panic::take_hook();
    });
    if let Ok(rows) = parse_rows(ImportFormat::Xlsx, data) {
        for row in rows {
            if let Ok(survey) = row.result {
                // What decodes can be stored: its canonical JSON decodes again.
                let _ = agriwaste_analytics::survey::parse_survey(&survey.canonical_json())
                    .unwrap_or_else(|e| panic!("row {}: {e:?}", row.row));
            }
        }
    }
});
