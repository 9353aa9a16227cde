//! Importing surveys from a file in an export format (CSV or XLSX as exported, or
//! NDJSON), row by row.
//!
//! Each row is decoded, checked with the same `ingest::validate` as the API, and stored in
//! batches through `Storage::create_surveys`, so an import is idempotent exactly like a
//! phone's retries: a survey id already stored with the same content is a duplicate,
//! with other content a conflict, and nothing is written for either. Bad rows do not
//! stop the import: each problem goes to the error report (`FILE.errors.csv`).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use agriwaste_analytics::{Issue, IssueCode, RegionTable};
use chrono::NaiveDate;

use super::layout::{self, Input, Kind, RowReader};
use super::text::{BOM, neutralise_formula, restore_formula, write_csv_record};
use super::xlsx::{self, ParsedRow};
use crate::auth::Actor;
use crate::ingest::{self, ValidatedSurvey};
use crate::storage::{CreateOutcome, Storage, StorageError};

/// Surveys per `create_surveys` call: one transaction, one disk sync.
const BATCH: usize = 500;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Rows read.
    pub rows: u64,
    /// Surveys stored.
    pub created: u64,
    /// Surveys already stored with the same content.
    pub duplicate: u64,
    /// Surveys whose id is stored with other content (not written).
    pub conflict: u64,
    /// Rows that could not be read or failed validation (not written).
    pub invalid: u64,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rows: {} created, {} duplicate, {} conflict, {} invalid",
            self.rows, self.created, self.duplicate, self.conflict, self.invalid
        )
    }
}

/// Why an import stopped (bad rows do not stop it; these do).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("reading {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The CSV is malformed beyond one row.
    #[error("reading the CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The workbook could not be opened.
    #[error("reading the workbook: {0}")]
    Xlsx(#[from] calamine::XlsxError),
    /// The file is not one of the import formats.
    #[error("{0}: unknown format; expected .csv, .xlsx or .ndjson (or .jsonl)")]
    UnknownFormat(PathBuf),
    /// The CSV header has a column no export has.
    #[error("the CSV header has unknown columns: {0}")]
    UnknownColumns(String),
    /// Writing the error report failed.
    #[error("writing the error report: {0}")]
    Report(std::io::Error),
    /// Storing failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Where the error report of an import of `path` goes: `FILE.errors.csv`.
pub fn report_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".errors.csv");
    PathBuf::from(name)
}

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// CSV as exported (Chinese or English headers).
    Csv,
    /// One survey per line in the wire format.
    Ndjson,
    /// A workbook as exported.
    Xlsx,
}

impl ImportFormat {
    /// The format a file name says (`.csv`, `.ndjson` or `.jsonl`, `.xlsx`).
    pub fn of(path: &Path) -> Option<ImportFormat> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") => Some(ImportFormat::Csv),
            Some("ndjson" | "jsonl") => Some(ImportFormat::Ndjson),
            Some("xlsx") => Some(ImportFormat::Xlsx),
            _ => None,
        }
    }
}

/// Decodes every row of an import file held in memory exactly as [`import`] does,
/// without validating or storing: what the fuzz targets run (`fuzz/`).
pub fn parse_rows(format: ImportFormat, bytes: &[u8]) -> Result<Vec<ParsedRow>, ImportError> {
    let path = Path::new("(memory)");
    let mut rows = Rows::new(format, std::io::Cursor::new(bytes))?;
    let mut parsed = Vec::new();
    while let Some(row) = rows.next_row(path) {
        parsed.push(row?);
    }
    Ok(parsed)
}

/// The rows of the file, decoded one at a time.
enum Rows<R: Read> {
    Csv {
        reader: csv::Reader<R>,
        keys: Vec<String>,
        /// Whether each column holds text, whose formula guard the export added.
        text: Vec<bool>,
        /// Records read, header included.
        records: u64,
    },
    Ndjson {
        lines: std::io::Split<BufReader<R>>,
        line: u64,
    },
    Xlsx(std::vec::IntoIter<ParsedRow>),
}

impl Rows<File> {
    fn open(path: &Path) -> Result<Rows<File>, ImportError> {
        let format =
            ImportFormat::of(path).ok_or_else(|| ImportError::UnknownFormat(path.to_owned()))?;
        let file = File::open(path).map_err(|e| ImportError::Read(path.to_owned(), e))?;
        Rows::new(format, file)
    }
}

impl<R: Read + std::io::Seek> Rows<R> {
    fn new(format: ImportFormat, input: R) -> Result<Rows<R>, ImportError> {
        match format {
            ImportFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
                let by_header: std::collections::HashMap<String, String> = layout::wide_columns()
                    .into_iter()
                    .flat_map(|c| [(c.key.clone(), c.key.clone()), (c.zh, c.key)])
                    .collect();
                let text_keys: std::collections::HashSet<String> = layout::wide_columns()
                    .into_iter()
                    .filter(|c| c.kind == Kind::Text)
                    .map(|c| c.key)
                    .collect();
                let mut keys = Vec::new();
                let mut unknown = Vec::new();
                for header in reader.headers()? {
                    let header = header.trim_start_matches('\u{feff}');
                    match by_header.get(header) {
                        Some(key) => keys.push(key.clone()),
                        None => {
                            unknown.push(header.to_owned());
                            keys.push(String::new());
                        }
                    }
                }
                if !unknown.is_empty() {
                    return Err(ImportError::UnknownColumns(unknown.join(", ")));
                }
                let text = keys.iter().map(|k| text_keys.contains(k)).collect();
                Ok(Rows::Csv {
                    reader,
                    keys,
                    text,
                    records: 1,
                })
            }
            ImportFormat::Ndjson => Ok(Rows::Ndjson {
                lines: BufReader::new(input).split(b'\n'),
                line: 0,
            }),
            ImportFormat::Xlsx => Ok(Rows::Xlsx(xlsx::read_from(input)?.into_iter())),
        }
    }

    /// Bytes read so far, for CSV and NDJSON progress.
    fn next_row(&mut self, path: &Path) -> Option<Result<ParsedRow, ImportError>> {
        match self {
            Rows::Csv {
                reader,
                keys,
                text,
                records,
            } => {
                // Bytes, not strings: a row that is not UTF-8 (a file re-saved in a
                // legacy encoding) is one bad row, not the end of the import.
                let mut record = csv::ByteRecord::new();
                match reader.read_byte_record(&mut record) {
                    Ok(false) => None,
                    Err(err) => Some(Err(err.into())),
                    Ok(true) => {
                        // The row number a spreadsheet shows (the header is row 1); a
                        // line number would drift on values with line breaks.
                        *records += 1;
                        let line = *records;
                        if std::str::from_utf8(record.as_slice()).is_err() {
                            return Some(Ok(ParsedRow {
                                row: line.to_string(),
                                id: String::new(),
                                result: Err(vec![not_utf8()]),
                            }));
                        }
                        let get = |key: &str| {
                            let Some(i) = keys.iter().position(|k| k == key) else {
                                return Input::Empty;
                            };
                            record.get(i).map_or(Input::Empty, |v| {
                                let v = String::from_utf8_lossy(v);
                                Input::Text(if text[i] {
                                    restore_formula(&v).to_owned()
                                } else {
                                    v.into_owned()
                                })
                            })
                        };
                        let mut reader = RowReader::new(&get);
                        let id = reader.text("id");
                        let survey = reader.wide_survey();
                        Some(Ok(ParsedRow {
                            row: line.to_string(),
                            id,
                            result: survey.ok_or(reader.issues),
                        }))
                    }
                }
            }
            Rows::Ndjson { lines, line } => loop {
                let bytes = match lines.next()? {
                    Ok(bytes) => bytes,
                    Err(err) => return Some(Err(ImportError::Read(path.to_owned(), err))),
                };
                *line += 1;
                let Ok(text) = String::from_utf8(bytes) else {
                    return Some(Ok(ParsedRow {
                        row: line.to_string(),
                        id: String::new(),
                        result: Err(vec![not_utf8()]),
                    }));
                };
                let text = text.trim_end_matches('\r');
                if text.trim().is_empty() {
                    continue;
                }
                let id = serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_owned))
                    .unwrap_or_default();
                return Some(Ok(ParsedRow {
                    row: line.to_string(),
                    id,
                    result: agriwaste_analytics::survey::parse_survey(text).map_err(|i| vec![i]),
                }));
            },
            Rows::Xlsx(rows) => rows.next().map(Ok),
        }
    }

    fn bytes_read(&self) -> Option<u64> {
        match self {
            Rows::Csv { reader, .. } => Some(reader.position().byte()),
            _ => None,
        }
    }
}

fn not_utf8() -> Issue {
    Issue::error(
        "",
        IssueCode::InvalidValue,
        "该行不是 UTF-8 编码;请将文件另存为“CSV UTF-8”后重新导入".to_owned(),
        "the row is not UTF-8; save the file as \"CSV UTF-8\" and import it again".to_owned(),
    )
}

/// The per-row error report: UTF-8 with BOM and CRLF like the exports, so it opens in
/// Excel next to the file it describes.
struct Report {
    out: std::io::BufWriter<File>,
}

impl Report {
    fn create(path: &Path) -> Result<Report, ImportError> {
        let mut out = std::io::BufWriter::new(File::create(path).map_err(ImportError::Report)?);
        let mut header = BOM.to_vec();
        write_csv_record(
            &["row", "id", "path", "code", "message_zh", "message_en"],
            &mut header,
        );
        out.write_all(&header).map_err(ImportError::Report)?;
        Ok(Report { out })
    }

    fn issue(&mut self, row: &str, id: &str, issue: &Issue) -> Result<(), ImportError> {
        self.line(&[
            row,
            id,
            &issue.path,
            issue.code.as_str(),
            &issue.message_zh,
            &issue.message_en,
        ])
    }

    /// One line of the report. Every field is text, and the id and the messages can
    /// carry what the file had (an id typed as `=cmd`), so each is guarded like an
    /// export's text cells.
    fn line(&mut self, fields: &[&str]) -> Result<(), ImportError> {
        let fields: Vec<_> = fields.iter().map(|f| neutralise_formula(f)).collect();
        let mut line = Vec::new();
        write_csv_record(&fields, &mut line);
        self.out.write_all(&line).map_err(ImportError::Report)
    }

    fn finish(mut self) -> Result<(), ImportError> {
        self.out.flush().map_err(ImportError::Report)
    }
}

/// A row waiting in the batch, with where it came from.
struct Pending {
    row: String,
    survey: ValidatedSurvey,
}

/// Imports `path` into `storage`, writing problems to [`report_path`]. `today` is the
/// date validation checks survey dates against; `progress` gets the running summary
/// and, for CSV, the bytes read.
pub async fn import(
    storage: &Storage,
    path: &Path,
    today: NaiveDate,
    progress: &mut dyn FnMut(&ImportSummary, Option<u64>),
) -> Result<ImportSummary, ImportError> {
    let mut rows = Rows::open(path)?;
    let mut report = Report::create(&report_path(path))?;
    let actor = Actor::system("import");
    let regions: &RegionTable = storage.regions();
    let coefficients = storage.coefficient_table().await?;
    let mut summary = ImportSummary::default();
    let mut batch: Vec<Pending> = Vec::with_capacity(BATCH);
    while let Some(row) = rows.next_row(path) {
        let row = row?;
        summary.rows += 1;
        match row.result {
            Err(issues) => {
                summary.invalid += 1;
                for issue in &issues {
                    report.issue(&row.row, &row.id, issue)?;
                }
            }
            Ok(survey) => match ingest::validate(survey, regions, &coefficients, today) {
                Ok(survey) => batch.push(Pending {
                    row: row.row,
                    survey,
                }),
                Err(issues) => {
                    summary.invalid += 1;
                    for issue in issues.iter().filter(|i| i.is_error()) {
                        report.issue(&row.row, &row.id, issue)?;
                    }
                }
            },
        }
        if batch.len() >= BATCH {
            store(storage, &mut batch, &actor, &mut summary, &mut report).await?;
            progress(&summary, rows.bytes_read());
        }
    }
    store(storage, &mut batch, &actor, &mut summary, &mut report).await?;
    progress(&summary, rows.bytes_read());
    report.finish()?;
    Ok(summary)
}

async fn store(
    storage: &Storage,
    batch: &mut Vec<Pending>,
    actor: &Actor,
    summary: &mut ImportSummary,
    report: &mut Report,
) -> Result<(), ImportError> {
    if batch.is_empty() {
        return Ok(());
    }
    let items: Vec<ValidatedSurvey> = batch.iter().map(|p| p.survey.clone()).collect();
    let outcomes = storage.create_surveys(&items, actor).await?;
    for (pending, outcome) in batch.iter().zip(outcomes) {
        match outcome {
            CreateOutcome::Created(_) => summary.created += 1,
            CreateOutcome::Duplicate(_) => summary.duplicate += 1,
            CreateOutcome::Conflict(existing) => {
                summary.conflict += 1;
                let id = existing.survey.id.to_string();
                report.line(&[
                    &pending.row,
                    &id,
                    "",
                    "conflict",
                    &format!(
                        "编号 {} 的调查已以不同内容保存(第 {} 版),未导入",
                        existing.survey.id, existing.version
                    ),
                    &format!(
                        "survey {} is already stored with other content (version {}); not imported",
                        existing.survey.id, existing.version
                    ),
                ])?;
            }
        }
    }
    batch.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzzing): a workbook whose cell reference overflows calamine's
    /// arithmetic is an import error, not a panic.
    #[test]
    fn a_workbook_that_panics_calamine_is_an_error() {
        let bytes = include_bytes!(
            "../../../fuzz/regressions/import_xlsx/calamine-cell-reference-overflow.xlsx"
        );
        assert!(parse_rows(ImportFormat::Xlsx, bytes).is_err());
    }

    /// The CSV export guards text that looks like a formula; the import takes the guard
    /// off text columns only, so the survey comes back as it was.
    #[test]
    fn csv_formula_guards_come_off_on_import() {
        use super::super::text::CsvEncoder;
        let mut survey = agriwaste_analytics::synthetic::SyntheticSpec::default().survey(7);
        survey.township = "+1".to_owned();
        survey.village = "=HYPERLINK(\"http://x\",\"点击\")".to_owned();
        survey.household = "'-x".to_owned();
        survey.technician = "\t@a".to_owned();
        let mut bytes = Vec::new();
        let mut encoder = CsvEncoder::new(layout::Lang::En);
        encoder.start(&mut bytes);
        encoder.survey(&survey, &mut bytes);
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains(",'+1,\"'=HYPERLINK(") && text.contains(",''-x,"),
            "{text}"
        );
        let rows = parse_rows(ImportFormat::Csv, &bytes).unwrap_or_default();
        let [row] = rows.as_slice() else {
            panic!("{} rows", rows.len())
        };
        assert_eq!(row.result.as_ref().ok(), Some(&survey));
    }
}
