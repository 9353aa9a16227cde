//! Survey exports (CSV, XLSX, GeoJSON, NDJSON) and the import of those files.
//!
//! The encoders and decoders (`layout`, `text`, `xlsx`) know neither HTTP nor SQL: they
//! turn domain `Survey`s into bytes and back. [`export`] pages through
//! `Storage::list_surveys` (keyset on `seq`, oldest first) and feeds a page at a time to
//! an encoder, so memory stays flat whatever the number of rows, and the line formats
//! reach the writer page by page. [`import::import`] reads a file row by row and stores
//! batches through `Storage::create_surveys`, exactly as the API does.
//!
//! What goes in: the survey content only (the wire format), for CSV, XLSX and NDJSON.
//! Review state, version, timestamps and authors are left out because an import cannot
//! reproduce them (an imported survey is a new version 1, `received`, by `import`);
//! with them in, a round trip could not give the same file. GeoJSON, which is not
//! imported, adds `review_state` and `version` to each feature's properties.
//! Photos are left out unless asked for, and then only listed (with download URLs) in
//! GeoJSON: the importable formats never carry them, since an import could not restore
//! them.

pub mod import;
pub mod indicators;
pub mod layout;
pub mod progress;
pub mod text;
pub mod xlsx;

use std::collections::HashMap;

use agriwaste_analytics::Survey;
use agriwaste_analytics::review::ReviewState;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use uuid::Uuid;

pub use layout::Lang;

use crate::storage::{Storage, StorageError, StoredSurvey, SurveyFilter};

/// Surveys per storage page: large enough to amortise the query, small enough that a
/// page's memory does not matter.
const PAGE: u64 = 1000;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One row per survey, UTF-8 with BOM, CRLF.
    Csv,
    /// A workbook with a sheet per section.
    Xlsx,
    /// GeoJSON FeatureCollection of survey points.
    GeoJson,
    /// One wire-format survey per line.
    Ndjson,
}

impl Format {
    /// Parses `csv`, `xlsx`, `geojson` or `ndjson`.
    pub fn from_key(key: &str) -> Option<Format> {
        match key {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "geojson" => Some(Format::GeoJson),
            "ndjson" => Some(Format::Ndjson),
            _ => None,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::GeoJson => "geojson",
            Format::Ndjson => "ndjson",
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::GeoJson => "application/geo+json",
            Format::Ndjson => "application/x-ndjson",
        }
    }
}

/// A survey with the little metadata some formats carry.
#[derive(Debug, Clone)]
pub struct ExportItem {
    /// The content.
    pub survey: Survey,
    /// Review state (GeoJSON only).
    pub review_state: ReviewState,
    /// Version (GeoJSON only).
    pub version: i32,
    /// The survey's photos, when asked for (GeoJSON only).
    pub attachments: Option<Vec<AttachmentRef>>,
}

/// A photo of a survey, as listed in an export: enough to fetch it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttachmentRef {
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Where to download it (needs a credential that may read the survey).
    pub url: String,
}

/// What to export besides the format.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// Header language (CSV, XLSX).
    pub lang: Lang,
    /// List each survey's photos (GeoJSON). The importable formats never carry them:
    /// an import could not restore the photos.
    pub include_attachments: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Surveys read from the database.
    pub surveys: u64,
    /// Surveys left out of a GeoJSON export for want of a location.
    pub skipped_without_location: u64,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the surveys failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Writing the output failed (disk full, client gone).
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    /// Building the workbook failed.
    #[error("building the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A worker thread panicked or was cancelled.
    #[error("export worker: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Writes every survey matching `filter`, oldest first, to `out` in `format`, calling
/// `progress` with the running count after each page.
pub async fn export<W: AsyncWrite + Unpin>(
    storage: &Storage,
    filter: &SurveyFilter,
    format: Format,
    options: ExportOptions,
    out: &mut W,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ExportSummary, ExportError> {
    // Insertion order, so that an import of the file stores the surveys in the same
    // order and a second export is identical.
    let filter = SurveyFilter {
        newest_first: false,
        ..filter.clone()
    };
    let mut summary = ExportSummary::default();
    let lang = options.lang;
    let mut csv = text::CsvEncoder::new(lang);
    let mut geojson = text::GeoJsonEncoder::default();
    let mut xlsx = match format {
        Format::Xlsx => Some(xlsx::XlsxEncoder::new(lang)?),
        _ => None,
    };
    let mut buffer = Vec::with_capacity(1 << 20);
    match format {
        Format::Csv => csv.start(&mut buffer),
        Format::GeoJson => geojson.start(&mut buffer),
        Format::Ndjson | Format::Xlsx => {}
    }
    let mut after = None;
    loop {
        let page = storage.list_surveys(&filter, after, PAGE).await?;
        summary.surveys += page.items.len() as u64;
        match format {
            Format::Xlsx => {
                if let Some(mut book) = xlsx.take() {
                    // Building rows writes temporary files: keep it off the async threads.
                    xlsx = Some(
                        tokio::task::spawn_blocking(move || {
                            for stored in &page.items {
                                book.survey(&stored.survey)?;
                            }
                            Ok::<_, rust_xlsxwriter::XlsxError>(book)
                        })
                        .await??,
                    );
                }
            }
            _ => {
                let mut photos = attachments_of(storage, &page.items, format, options).await?;
                for stored in &page.items {
                    match format {
                        Format::Csv => csv.survey(&stored.survey, &mut buffer),
                        Format::Ndjson => text::ndjson_line(&stored.survey, &mut buffer),
                        Format::GeoJson => geojson.survey(
                            &ExportItem {
                                survey: stored.survey.clone(),
                                review_state: stored.review.state,
                                version: stored.version,
                                attachments: photos
                                    .as_mut()
                                    .map(|p| p.remove(&stored.survey.id).unwrap_or_default()),
                            },
                            &mut buffer,
                        ),
                        Format::Xlsx => {}
                    }
                }
                out.write_all(&buffer).await?;
                buffer.clear();
            }
        }
        progress(summary.surveys);
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    match format {
        Format::GeoJson => {
            geojson.finish(&mut buffer);
            summary.skipped_without_location = geojson.skipped;
            out.write_all(&buffer).await?;
        }
        Format::Xlsx => {
            if let Some(book) = xlsx {
                let file = tempfile::NamedTempFile::new()?;
                let path = file.path().to_owned();
                tokio::task::spawn_blocking(move || book.save(&path)).await??;
                let mut saved = tokio::fs::File::open(file.path()).await?;
                tokio::io::copy(&mut saved, out).await?;
            }
        }
        Format::Csv | Format::Ndjson => {}
    }
    out.flush().await?;
    Ok(summary)
}

/// The photos of a page's surveys, by survey, when the format lists them and they were
/// asked for; one query per page.
async fn attachments_of(
    storage: &Storage,
    page: &[StoredSurvey],
    format: Format,
    options: ExportOptions,
) -> Result<Option<HashMap<Uuid, Vec<AttachmentRef>>>, StorageError> {
    if !(options.include_attachments && format == Format::GeoJson) {
        return Ok(None);
    }
    let ids: Vec<Uuid> = page.iter().map(|s| s.survey.id).collect();
    let mut by_survey: HashMap<Uuid, Vec<AttachmentRef>> = HashMap::new();
    for a in storage.list_attachments_of(&ids).await? {
        by_survey
            .entry(a.survey_id)
            .or_default()
            .push(AttachmentRef {
                url: format!("/api/v1/surveys/{}/attachments/{}", a.survey_id, a.sha256),
                sha256: a.sha256,
                content_type: a.content_type,
                size_bytes: a.size_bytes,
            });
    }
    Ok(Some(by_survey))
}
