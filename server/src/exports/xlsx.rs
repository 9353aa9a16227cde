//! XLSX: a workbook with one sheet per section (surveys, film, pesticide packaging,
//! straw with one row per crop, yak dung), typed cells, a frozen header row and column
//! widths that fit the headers.
//!
//! Written with `rust_xlsxwriter` in constant-memory mode: each row goes to a temporary
//! file as soon as the next one starts, so a million surveys need no more memory than
//! one. A sheet holds at most 1 048 576 rows; a section that outgrows it continues on a
//! sheet named `straw 2`, `straw 3`, ... Reading (for import) loads the sheets with
//! `calamine`.

use std::collections::HashMap;
use std::path::Path;

use agriwaste_analytics::{Issue, IssueCode, Survey};
use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::layout::{self, Cell, Column, Input, Lang, RowReader};

/// Rows per sheet, header included (Excel's limit).
const MAX_ROWS: u32 = 1_048_576;

/// The sections, in sheet order: English and Chinese sheet names.
const SHEETS: [(&str, &str); 5] = [
    ("surveys", "调查"),
    ("film", "地膜"),
    ("pesticide_packaging", "农药包装废弃物"),
    ("straw", "秸秆"),
    ("yak_dung", "牦牛粪"),
];

fn sheet_columns(section: usize) -> Vec<Column> {
    let mut columns = if section == 0 {
        Vec::new()
    } else {
        vec![layout::survey_id_column()]
    };
    columns.extend(match section {
        0 => layout::identity_columns(),
        1 => layout::film_columns(),
        2 => layout::pesticide_columns(),
        3 => layout::straw_long_columns(),
        _ => layout::yak_dung_columns(),
    });
    columns
}

struct Sheet {
    /// Index of the worksheet being filled.
    index: usize,
    /// Next row to write.
    row: u32,
    /// How many sheets this section has used.
    parts: u32,
}

/// Builds a workbook survey by survey.
pub struct XlsxEncoder {
    book: Workbook,
    lang: Lang,
    /// Rows per sheet, header included: Excel's limit, lower in tests.
    max_rows: u32,
    sheets: Vec<Sheet>,
    date: Format,
}

impl XlsxEncoder {
    /// A workbook with the five section sheets and their headers.
    pub fn new(lang: Lang) -> Result<XlsxEncoder, XlsxError> {
        XlsxEncoder::with_max_rows(lang, MAX_ROWS)
    }

    fn with_max_rows(lang: Lang, max_rows: u32) -> Result<XlsxEncoder, XlsxError> {
        let mut encoder = XlsxEncoder {
            book: Workbook::new(),
            lang,
            max_rows,
            sheets: Vec::new(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        };
        // Office shows the creation time; a fixed one keeps two exports of the same data
        // byte-identical (the zip entries carry a fixed time already).
        let epoch = ExcelDateTime::from_ymd(2000, 1, 1)?;
        encoder
            .book
            .set_properties(&DocProperties::new().set_creation_datetime(&epoch));
        for section in 0..SHEETS.len() {
            let index = encoder.add_sheet(section, 1)?;
            encoder.sheets.push(Sheet {
                index,
                row: 1,
                parts: 1,
            });
        }
        Ok(encoder)
    }

    fn add_sheet(&mut self, section: usize, part: u32) -> Result<usize, XlsxError> {
        let (en, zh) = SHEETS[section];
        let base = match self.lang {
            Lang::En => en,
            Lang::Zh => zh,
        };
        let name = if part == 1 {
            base.to_owned()
        } else {
            format!("{base} {part}")
        };
        let header = Format::new().set_bold();
        let lang = self.lang;
        let sheet: &mut Worksheet = self.book.add_worksheet_with_constant_memory();
        sheet.set_name(name)?;
        // Widths and panes precede the cells in the file: set them before any row.
        for (col, column) in sheet_columns(section).iter().enumerate() {
            sheet.set_column_width(col as u16, column.width)?;
            sheet.write_string_with_format(0, col as u16, column.header(lang), &header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(self.book.worksheets().len() - 1)
    }

    fn row(&mut self, section: usize, cells: &[Cell]) -> Result<(), XlsxError> {
        if self.sheets[section].row >= self.max_rows {
            let part = self.sheets[section].parts + 1;
            let index = self.add_sheet(section, part)?;
            self.sheets[section] = Sheet {
                index,
                row: 1,
                parts: part,
            };
        }
        let Sheet { index, row, .. } = self.sheets[section];
        let date = self.date.clone();
        let sheet = self.book.worksheet_from_index(index)?;
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(text) => {
                    sheet.write_string(row, col, text)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(row, col, *n)?;
                }
                Cell::Integer(n) => {
                    sheet.write_number(row, col, *n as f64)?;
                }
                Cell::Date(d) => {
                    let value =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                    sheet.write_date_with_format(row, col, &value, &date)?;
                }
            }
        }
        self.sheets[section].row += 1;
        Ok(())
    }

    /// Adds one survey: a row on the surveys sheet and one per section present.
    pub fn survey(&mut self, survey: &Survey) -> Result<(), XlsxError> {
        let id = Cell::Text(survey.id.to_string());
        self.row(0, &layout::identity_cells(survey))?;
        let with_id = |cells: Vec<Cell>| {
            let mut row = vec![id.clone()];
            row.extend(cells);
            row
        };
        if let Some(film) = &survey.film {
            self.row(1, &with_id(layout::film_cells(film)))?;
        }
        if let Some(section) = &survey.pesticide_packaging {
            self.row(2, &with_id(layout::pesticide_cells(section)))?;
        }
        for crop in &survey.straw {
            let mut cells = vec![Cell::Text(crop.crop.key().to_owned())];
            cells.extend(layout::straw_crop_cells(crop));
            self.row(3, &with_id(cells))?;
        }
        if let Some(section) = &survey.yak_dung {
            self.row(4, &with_id(layout::yak_dung_cells(section)))?;
        }
        Ok(())
    }

    /// Writes the workbook to `path`.
    pub fn save(mut self, path: &Path) -> Result<(), XlsxError> {
        self.book.save(path)
    }
}

/// One row of a file being imported: where it is, the survey id if readable, and the
/// survey or what is wrong with it.
#[derive(Debug)]
pub struct ParsedRow {
    /// Where, for the error report: `sheet!row` in XLSX, the line number otherwise.
    pub row: String,
    /// The survey id as written, if there is one.
    pub id: String,
    /// The survey, or every problem found in its cells.
    pub result: Result<Survey, Vec<Issue>>,
}

/// A row's cells by column key.
type Keyed = HashMap<String, Input>;

/// Section rows by survey id, in sheet order: where each row is, and its cells.
type BySurvey = HashMap<String, Vec<(String, Keyed)>>;

/// A sheet as rows of cells by column key.
struct SheetRows {
    name: String,
    keys: Vec<Option<String>>,
    rows: Vec<Vec<Input>>,
}

fn input(data: &Data) -> Input {
    match data {
        Data::Empty => Input::Empty,
        Data::String(s) => Input::Text(s.clone()),
        Data::Float(f) => Input::Number(*f),
        Data::Int(i) => Input::Number(*i as f64),
        Data::Bool(b) => Input::Text(b.to_string()),
        Data::DateTime(dt) => {
            // Excel's day 0 is 1899-12-30 (counting the 1900 leap-year bug).
            let days = dt.as_f64().floor() as i64;
            NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(days)))
                .map_or(Input::Text(dt.as_f64().to_string()), Input::Date)
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => Input::Text(s.clone()),
        Data::Error(e) => Input::Text(format!("#{e:?}")),
    }
}

fn header_keys(columns: &[Column], header: &[Data]) -> Vec<Option<String>> {
    let by_header: HashMap<&str, &str> = columns
        .iter()
        .flat_map(|c| {
            [
                (c.key.as_str(), c.key.as_str()),
                (c.zh.as_str(), c.key.as_str()),
            ]
        })
        .collect();
    header
        .iter()
        .map(|cell| match cell {
            Data::String(text) => by_header.get(text.trim()).map(|k| (*k).to_owned()),
            _ => None,
        })
        .collect()
}

/// Which section a sheet name belongs to (`straw`, `秸秆 2`, ...).
fn section_of(name: &str) -> Option<usize> {
    let base = match name.rsplit_once(' ') {
        Some((base, part)) if part.parse::<u32>().is_ok() => base,
        _ => name,
    };
    SHEETS
        .iter()
        .position(|(en, zh)| *en == base || *zh == base)
}

/// Reads an exported workbook back into surveys, in the order of the surveys sheet.
///
/// The whole workbook is loaded (calamine reads sheets whole); the section sheets are
/// joined to the surveys sheet by survey id.
pub fn read(path: &Path) -> Result<Vec<ParsedRow>, calamine::XlsxError> {
    let book: Xlsx<_> = open_workbook(path)?;
    read_book(book)
}

/// [`read`] for a workbook held in memory (or any seekable reader).
pub fn read_from<R: std::io::Read + std::io::Seek>(
    reader: R,
) -> Result<Vec<ParsedRow>, calamine::XlsxError> {
    read_book(Xlsx::new(reader)?)
}

/// Runs calamine on a workbook, turning its panics into an error: on a crafted cell
/// reference (`A99999999999`) it overflows an integer, which panics wherever overflow
/// checks are on (found by the `import_xlsx` fuzz target).
fn read_book<R: std::io::Read + std::io::Seek>(
    book: Xlsx<R>,
) -> Result<Vec<ParsedRow>, calamine::XlsxError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_sheets(book))).unwrap_or(Err(
        calamine::XlsxError::Unexpected(
            "the workbook is malformed (a cell reference is out of range)",
        ),
    ))
}

fn read_sheets<R: std::io::Read + std::io::Seek>(
    mut book: Xlsx<R>,
) -> Result<Vec<ParsedRow>, calamine::XlsxError> {
    let mut sections: Vec<Vec<SheetRows>> = (0..SHEETS.len()).map(|_| Vec::new()).collect();
    for name in book.sheet_names() {
        let Some(section) = section_of(&name) else {
            continue;
        };
        let range = book.worksheet_range(&name)?;
        let mut rows = range.rows();
        let keys = match rows.next() {
            Some(header) => header_keys(&sheet_columns(section), header),
            None => Vec::new(),
        };
        sections[section].push(SheetRows {
            name,
            keys,
            rows: rows.map(|r| r.iter().map(input).collect()).collect(),
        });
    }
    let mut by_id: Vec<BySurvey> = (0..SHEETS.len()).map(|_| HashMap::new()).collect();
    for (section, sheets) in sections.iter().enumerate().skip(1) {
        for sheet in sheets {
            for (offset, row) in sheet.rows.iter().enumerate() {
                let keyed = keyed(&sheet.keys, row);
                let id = match keyed.get("survey_id") {
                    Some(Input::Text(id)) => id.clone(),
                    _ => String::new(),
                };
                by_id[section]
                    .entry(id)
                    .or_default()
                    .push((format!("{}!{}", sheet.name, offset + 2), keyed));
            }
        }
    }
    let mut parsed = Vec::new();
    for sheet in &sections[0] {
        for (offset, row) in sheet.rows.iter().enumerate() {
            let keyed = keyed(&sheet.keys, row);
            parsed.push(read_survey(
                format!("{}!{}", sheet.name, offset + 2),
                &keyed,
                &mut by_id,
            ));
        }
    }
    // Section rows whose survey is not on the surveys sheet.
    for (section, rows) in by_id.into_iter().enumerate() {
        for (id, rows) in rows {
            for (row, _) in rows {
                let section_name = SHEETS[section].0;
                parsed.push(ParsedRow {
                    row,
                    id: id.clone(),
                    result: Err(vec![Issue::error(
                        section_name,
                        IssueCode::InvalidValue,
                        format!("{section_name} 中的行所属调查 {id:?} 不在调查表中"),
                        format!(
                            "this {section_name} row's survey {id:?} is not on the surveys sheet"
                        ),
                    )]),
                });
            }
        }
    }
    Ok(parsed)
}

fn keyed(keys: &[Option<String>], row: &[Input]) -> Keyed {
    keys.iter()
        .zip(row)
        .filter_map(|(key, cell)| key.as_ref().map(|k| (k.clone(), cell.clone())))
        .collect()
}

fn read_survey(row: String, identity: &Keyed, by_id: &mut [BySurvey]) -> ParsedRow {
    let cell =
        |map: &HashMap<String, Input>, key: &str| map.get(key).cloned().unwrap_or(Input::Empty);
    let get = |key: &str| cell(identity, key);
    let mut reader = RowReader::new(&get);
    let id = reader.text("id");
    let mut survey = reader.identity();
    let mut issues = std::mem::take(&mut reader.issues);
    let mut take = |section: usize| by_id[section].remove(&id).unwrap_or_default();
    let (film, pesticide, straw, yak) = (take(1), take(2), take(3), take(4));
    // A survey has each of these sections at most once; a second row would silently
    // replace the first.
    for (rows, section) in [(&film, 1), (&pesticide, 2), (&yak, 4)] {
        if rows.len() > 1 {
            let name = SHEETS[section].0;
            issues.push(Issue::error(
                name,
                IssueCode::InvalidValue,
                format!("{name} 表中该调查有 {} 行,最多 1 行", rows.len()),
                format!("{name} has {} rows for this survey; at most 1", rows.len()),
            ));
        }
    }
    let section = |rows: Vec<(String, HashMap<String, Input>)>,
                   issues: &mut Vec<Issue>,
                   read: &mut dyn FnMut(&mut RowReader<'_>, usize)| {
        for (index, (_, keyed)) in rows.iter().enumerate() {
            let get = |key: &str| cell(keyed, key);
            let mut reader = RowReader::new(&get);
            read(&mut reader, index);
            issues.append(&mut reader.issues);
        }
    };
    let mut parts = Sections::default();
    section(film, &mut issues, &mut |r, _| parts.film = Some(r.film()));
    section(pesticide, &mut issues, &mut |r, _| {
        parts.pesticide = Some(r.pesticide());
    });
    section(straw, &mut issues, &mut |r, index| {
        let text = r.text("straw.crop");
        if let Some(crop) = r.crop(&text, &format!("straw[{index}].crop")) {
            parts
                .straw
                .push(r.straw_crop(crop, "straw", &format!("straw[{index}]")));
        }
    });
    section(yak, &mut issues, &mut |r, _| parts.yak = Some(r.yak_dung()));
    if let Some(s) = survey.as_mut() {
        s.film = parts.film;
        s.pesticide_packaging = parts.pesticide;
        s.straw = parts.straw;
        s.yak_dung = parts.yak;
    }
    ParsedRow {
        row,
        id,
        result: match survey {
            Some(survey) if issues.is_empty() => Ok(survey),
            _ => Err(issues),
        },
    }
}

#[derive(Default)]
struct Sections {
    film: Option<agriwaste_analytics::survey::FilmSection>,
    pesticide: Option<agriwaste_analytics::survey::PesticidePackagingSection>,
    straw: Vec<agriwaste_analytics::survey::StrawCrop>,
    yak: Option<agriwaste_analytics::survey::YakDungSection>,
}

#[cfg(test)]
mod tests {
    use agriwaste_analytics::synthetic::SyntheticSpec;

    use super::*;

    fn round_trip(lang: Lang, surveys: &[Survey]) -> Vec<ParsedRow> {
        round_trip_with(lang, MAX_ROWS, surveys).0
    }

    /// Writes and reads back a workbook; also returns its sheet names.
    fn round_trip_with(
        lang: Lang,
        max_rows: u32,
        surveys: &[Survey],
    ) -> (Vec<ParsedRow>, Vec<String>) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("surveys.xlsx");
        let mut encoder = XlsxEncoder::with_max_rows(lang, max_rows).expect("an encoder");
        for survey in surveys {
            encoder.survey(survey).expect("the survey is written");
        }
        encoder.save(&path).expect("the workbook is saved");
        let book: Xlsx<_> = open_workbook(&path).expect("the saved workbook opens");
        let names = book.sheet_names();
        (read(&path).expect("the saved workbook reads"), names)
    }

    /// A survey whose optional amounts were all left blank on the form: not recorded.
    fn nothing_optional_recorded() -> Survey {
        let json = include_str!("../../../analytics-wasm/data/example-survey.json");
        let mut survey = agriwaste_analytics::survey::parse_survey(json).expect("the example");
        survey.location = None;
        if let Some(film) = survey.film.as_mut() {
            (film.area_mu, film.thickness_mm, film.recovery_channel) = (None, None, None);
        }
        if let Some(packaging) = survey.pesticide_packaging.as_mut() {
            (packaging.used_kg, packaging.returned_kg) = (None, None);
            packaging.return_channel = None;
        }
        for crop in &mut survey.straw {
            (crop.area_mu, crop.yield_kg) = (None, None);
        }
        if let Some(dung) = survey.yak_dung.as_mut() {
            (dung.yak_head, dung.produced_kg) = (None, Some(20_000.0));
        }
        survey
    }

    /// The optional fields [`nothing_optional_recorded`] leaves out, by column key.
    const NOT_RECORDED: [&str; 10] = [
        "location.lat",
        "film.area_mu",
        "film.thickness_mm",
        "film.recovery_channel",
        "pesticide_packaging.used_kg",
        "pesticide_packaging.returned_kg",
        "straw.highland_barley.area_mu",
        "straw.highland_barley.yield_kg",
        "yak_dung.yak_head",
        "location.accuracy_m",
    ];

    #[test]
    fn a_value_not_recorded_is_an_empty_cell_in_every_format_never_0() {
        let survey = nothing_optional_recorded();
        // CSV: the columns of what was not recorded are empty; a 0 stays a 0.
        let mut csv = Vec::new();
        let mut encoder = crate::exports::text::CsvEncoder::new(Lang::En);
        encoder.start(&mut csv);
        encoder.survey(&survey, &mut csv);
        let text = String::from_utf8(csv).expect("UTF-8");
        let mut lines = text.trim_start_matches('\u{feff}').lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        let row: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        let cell = |key: &str| {
            let index = header.iter().position(|h| *h == key);
            index.and_then(|i| row.get(i).copied())
        };
        for key in NOT_RECORDED {
            assert_eq!(cell(key), Some(""), "{key} in {header:?}");
        }
        assert_eq!(cell("straw.highland_barley.substrate_kg"), Some("0"));
        // NDJSON: the field is left out, as on the wire; no 0 and no null.
        let mut ndjson = Vec::new();
        crate::exports::text::ndjson_line(&survey, &mut ndjson);
        let line: serde_json::Value = serde_json::from_slice(&ndjson).expect("JSON");
        assert!(line.get("location").is_none());
        assert!(line["film"].get("area_mu").is_none(), "{line}");
        assert!(
            line["pesticide_packaging"].get("used_kg").is_none(),
            "{line}"
        );
        assert!(line["straw"][0].get("yield_kg").is_none(), "{line}");
        assert!(line["yak_dung"].get("yak_head").is_none(), "{line}");
        assert_eq!(line["straw"][0]["substrate_kg"], 0.0);
        // XLSX: empty cells, which read back as not recorded rather than 0.
        for lang in [Lang::Zh, Lang::En] {
            let rows = round_trip(lang, std::slice::from_ref(&survey));
            assert_eq!(rows[0].result.as_ref(), Ok(&survey), "{lang:?}");
        }
    }

    #[test]
    fn a_section_that_outgrows_a_sheet_continues_on_the_next() {
        let surveys = SyntheticSpec::default().surveys(40);
        // A header and 9 rows per sheet.
        let (rows, names) = round_trip_with(Lang::En, 10, &surveys);
        assert!(names.iter().any(|n| n == "surveys 5"), "{names:?}");
        assert!(names.iter().any(|n| n == "straw 2"), "{names:?}");
        assert_eq!(rows.len(), surveys.len());
        for (row, survey) in rows.iter().zip(&surveys) {
            assert_eq!(row.result.as_ref(), Ok(survey), "{}", row.row);
        }
    }

    #[test]
    fn surveys_come_back_from_a_workbook_in_either_language() {
        let mut surveys = SyntheticSpec::default().surveys(300);
        if let Some(with_crops) = surveys.iter_mut().find(|s| s.straw.len() >= 2) {
            with_crops.straw.reverse();
        }
        for lang in [Lang::Zh, Lang::En] {
            let rows = round_trip(lang, &surveys);
            assert_eq!(rows.len(), surveys.len());
            for (row, survey) in rows.iter().zip(&surveys) {
                assert_eq!(row.result.as_ref(), Ok(survey), "{lang:?} {}", row.row);
            }
        }
    }

    #[test]
    fn two_workbooks_of_the_same_surveys_are_identical() {
        let surveys = SyntheticSpec::default().surveys(50);
        let write = || {
            let file = tempfile::NamedTempFile::new().expect("a temporary file");
            let mut encoder = XlsxEncoder::new(Lang::Zh).expect("an encoder");
            for survey in &surveys {
                encoder.survey(survey).expect("the survey is written");
            }
            encoder.save(file.path()).expect("the workbook is saved");
            std::fs::read(file.path()).expect("the saved workbook reads")
        };
        assert!(write() == write(), "fixed properties and zip times");
    }

    #[test]
    fn sheet_names_are_recognised_with_continuation_numbers() {
        assert_eq!(section_of("surveys"), Some(0));
        assert_eq!(section_of("秸秆"), Some(3));
        assert_eq!(section_of("straw 2"), Some(3));
        assert_eq!(section_of("牦牛粪 3"), Some(4));
        assert_eq!(section_of("notes"), None);
    }
}
