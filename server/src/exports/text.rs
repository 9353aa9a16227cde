//! Line formats: CSV (one row per survey, [`layout::wide_columns`]), NDJSON (the wire
//! format, one survey per line) and GeoJSON (a FeatureCollection of survey points).
//!
//! Each encoder appends bytes to a buffer, so a caller can send a page of surveys as soon
//! as it is encoded: these formats stream from the first page.

use std::borrow::Cow;

use agriwaste_analytics::Survey;

use super::ExportItem;
use super::layout::{self, Cell, Lang};

/// The UTF-8 byte order mark. Excel on a Chinese-locale Windows machine reads a CSV
/// without it as GBK and garbles every Chinese character.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The first characters that make a spreadsheet take a cell for a formula (OWASP, "CSV
/// injection"): `=HYPERLINK(...)` typed as a village name must not run when a bureau opens
/// the export in Excel.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn starts_like_a_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// A text cell as CSV holds it: one a spreadsheet would run as a formula gets a leading
/// `'`, which makes Excel show it as text. A text that already begins with apostrophes
/// before such a character gets one more, so that [`restore_formula`] undoes exactly
/// this and export → import → export gives back the same bytes.
pub fn neutralise_formula(text: &str) -> Cow<'_, str> {
    if starts_like_a_formula(text.trim_start_matches('\'')) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A text cell read from CSV as it was before [`neutralise_formula`]: one leading `'` is
/// removed when what follows (past any further apostrophes) looks like a formula.
pub fn restore_formula(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if starts_like_a_formula(rest.trim_start_matches('\'')) => rest,
        _ => text,
    }
}

/// A cell's CSV text: text neutralised ([`neutralise_formula`]); numbers and dates as
/// they are, since a number is never a formula, whatever its sign (the column's type
/// decides, not the first character).
pub fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => neutralise_formula(text).into_owned(),
        other => other.to_text(),
    }
}

/// Appends one CSV record, quoted only where needed, ended by CRLF (RFC 4180, and what
/// Excel writes).
pub fn write_csv_record<S: AsRef<str>>(fields: &[S], out: &mut Vec<u8>) {
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let field = field.as_ref();
        if field.contains([',', '"', '\r', '\n']) {
            out.push(b'"');
            out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// CSV: BOM, a header row in the chosen language, one row per survey.
pub struct CsvEncoder {
    lang: Lang,
}

impl CsvEncoder {
    /// An encoder with headers in `lang`.
    pub fn new(lang: Lang) -> CsvEncoder {
        CsvEncoder { lang }
    }

    /// The BOM and the header row.
    pub fn start(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(BOM);
        let headers: Vec<String> = layout::wide_columns()
            .iter()
            .map(|c| c.header(self.lang).to_owned())
            .collect();
        write_csv_record(&headers, out);
    }

    /// One survey's row.
    pub fn survey(&mut self, survey: &Survey, out: &mut Vec<u8>) {
        let cells: Vec<String> = layout::wide_cells(survey).iter().map(csv_cell).collect();
        write_csv_record(&cells, out);
    }
}

/// NDJSON: each survey's canonical JSON (the wire format) on its own line.
pub fn ndjson_line(survey: &Survey, out: &mut Vec<u8>) {
    out.extend_from_slice(survey.canonical_json().as_bytes());
    out.push(b'\n');
}

/// GeoJSON (RFC 7946): a FeatureCollection with one Point feature per survey that has a
/// GPS fix. Surveys without one are counted and the count is written at the end as the
/// foreign member `skipped_without_location` (the count is only known once every survey
/// has been seen, and a header would have to wait for that).
#[derive(Default)]
pub struct GeoJsonEncoder {
    features: u64,
    /// Surveys left out for want of a location.
    pub skipped: u64,
}

impl GeoJsonEncoder {
    /// Opens the collection.
    pub fn start(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[\n");
    }

    /// One feature, or nothing when the survey has no location. Properties are the
    /// survey's wire format plus its review state and version, and its photos when
    /// they were asked for.
    pub fn survey(&mut self, item: &ExportItem, out: &mut Vec<u8>) {
        let Some(point) = item.survey.location else {
            self.skipped += 1;
            return;
        };
        let mut properties = match serde_json::to_value(&item.survey) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        properties.insert("review_state".to_owned(), item.review_state.key().into());
        properties.insert("version".to_owned(), item.version.into());
        if let Some(attachments) = &item.attachments {
            properties.insert(
                "attachments".to_owned(),
                serde_json::to_value(attachments).unwrap_or_default(),
            );
        }
        let feature = serde_json::json!({
            "type": "Feature",
            "id": item.survey.id.to_string(),
            "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
            "properties": properties,
        });
        if self.features > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(feature.to_string().as_bytes());
        self.features += 1;
    }

    /// Closes the collection.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            format!("\n],\"skipped_without_location\":{}}}\n", self.skipped).as_bytes(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_looks_like_a_formula_is_neutralised_and_numbers_are_not() {
        for (text, written) in [
            (
                "=HYPERLINK(\"http://x\",\"点击\")",
                "'=HYPERLINK(\"http://x\",\"点击\")",
            ),
            ("+1", "'+1"),
            ("-x", "'-x"),
            ("@a", "'@a"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            // Already guarded by hand: one more, so that the import gives it back.
            ("'=x", "''=x"),
            // Nothing to guard.
            ("狮泉河镇", "狮泉河镇"),
            ("x=1", "x=1"),
            ("'quoted", "'quoted"),
            ("'", "'"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(&Cell::Text(text.to_owned())), written, "{text:?}");
            assert_eq!(restore_formula(written), text, "{written:?}");
        }
        // A number is a number whatever its sign; so are dates.
        assert_eq!(csv_cell(&Cell::Number(-1.5)), "-1.5");
        assert_eq!(csv_cell(&Cell::Integer(-3)), "-3");
        assert_eq!(csv_cell(&Cell::Empty), "");
        // A hand-made file with one guard reads as the text it guards.
        assert_eq!(restore_formula("'+86 138"), "+86 138");
    }

    #[test]
    fn csv_quotes_only_what_needs_quoting_and_ends_rows_with_crlf() {
        let mut out = Vec::new();
        write_csv_record(&["plain", "a,b", "say \"hi\"", "two\nlines", ""], &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n"
        );
    }
}
