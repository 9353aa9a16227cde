//! Line formats: CSV (one row per survey, [`layout::wide_columns`]), NDJSON (the wire
//! format, one survey per line) and GeoJSON (a FeatureCollection of survey points).
//!
//! Each encoder appends bytes to a buffer, so a caller can send a page of surveys as soon
//! as it is encoded: these formats stream from the first page.

use agriwaste_analytics::Survey;

use super::ExportItem;
use super::layout::{self, Lang};

/// The UTF-8 byte order mark. Excel on a Chinese-locale Windows machine reads a CSV
/// without it as GBK and garbles every Chinese character.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

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
        let cells: Vec<String> = layout::wide_cells(survey)
            .iter()
            .map(layout::Cell::to_text)
            .collect();
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
    fn csv_quotes_only_what_needs_quoting_and_ends_rows_with_crlf() {
        let mut out = Vec::new();
        write_csv_record(&["plain", "a,b", "say \"hi\"", "two\nlines", ""], &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n"
        );
    }
}
