//! A small CSV reader for the data tables the crate ships (regions, targets,
//! coefficients). It handles quoted fields and CRLF; it is not a general CSV library.

use std::collections::BTreeMap;

/// One row, keyed by the header's column names.
pub type Record = BTreeMap<String, String>;

/// Parses `text` (header line first) into records. Blank lines are skipped.
pub fn records(text: &str) -> Result<Vec<Record>, String> {
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let header = match lines.next() {
        Some(line) => split_line(line.trim_start_matches('\u{feff}'))?,
        None => return Ok(Vec::new()),
    };
    lines
        .enumerate()
        .map(|(index, line)| {
            let cells = split_line(line)?;
            if cells.len() != header.len() {
                return Err(format!(
                    "line {}: {} cells where the header has {}",
                    index + 2,
                    cells.len(),
                    header.len()
                ));
            }
            Ok(header.iter().cloned().zip(cells).collect())
        })
        .collect()
}

fn split_line(line: &str) -> Result<Vec<String>, String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            (_, c) => cell.push(c),
        }
    }
    if quoted {
        return Err(format!("unterminated quote in {line:?}"));
    }
    cells.push(cell.trim().to_owned());
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_cells_and_crlf() {
        let rows = records("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n1,\r\n").unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["a"], "x, y");
        assert_eq!(rows[0]["b"], "say \"hi\"");
        assert_eq!(rows[1]["b"], "");
    }

    #[test]
    fn ragged_rows_are_an_error() {
        assert!(records("a,b\n1\n").is_err());
    }
}
