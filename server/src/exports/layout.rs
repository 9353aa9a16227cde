//! The tabular layout of a survey shared by the CSV and XLSX formats: which columns,
//! their headers in Chinese and English, a survey's cells, and a survey rebuilt from
//! cells.
//!
//! Columns are keyed by the survey's wire-format path (`film.used_kg`), which is also the
//! English header, so a spreadsheet column, an import error and the JSON field all have
//! the same name. Every value is written, defaults included, and an absent optional value
//! is an empty cell: reading a row back gives the identical survey, which is what makes
//! export → import → export byte-identical.

use agriwaste_analytics::survey::{
    Crop, FilmRecoveryChannel, FilmSection, GeoPoint, PackagingReturnChannel,
    PesticidePackagingSection, StrawCount, StrawCountUnit, StrawCrop, YakDungSection,
};
use agriwaste_analytics::{Issue, IssueCode, Survey};
use chrono::NaiveDate;
use uuid::Uuid;

/// Header language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese headers (the default: the bureaus' spreadsheets).
    #[default]
    Zh,
    /// English headers: the wire-format field paths.
    En,
}

impl Lang {
    /// Parses `zh` or `en`.
    pub fn from_key(key: &str) -> Option<Lang> {
        match key {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// What a column holds, which decides the cell type in XLSX and how text is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text or a key.
    Text,
    /// A decimal number.
    Number,
    /// A whole number.
    Integer,
    /// A calendar date.
    Date,
}

/// One column: its key (the wire-format path, also the English header) and Chinese header.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Wire-format path, e.g. `film.used_kg`; the English header.
    pub key: String,
    /// Chinese header.
    pub zh: String,
    /// Cell type.
    pub kind: Kind,
    /// Width in XLSX, characters.
    pub width: f64,
}

impl Column {
    pub fn new(key: impl Into<String>, zh: impl Into<String>, kind: Kind) -> Column {
        let key = key.into();
        let zh = zh.into();
        // Wide enough for the header in either language (a CJK character is two wide).
        let header = key.chars().count().max(zh.chars().count() * 2);
        let width = match kind {
            Kind::Text if key == "id" || key.ends_with("survey_id") => 38.0,
            _ => (header as f64 + 2.0).clamp(10.0, 40.0),
        };
        Column {
            key,
            zh,
            kind,
            width,
        }
    }

    /// The header in `lang`.
    pub fn header(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.key,
        }
    }
}

/// A value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value (an absent optional field or section).
    Empty,
    /// Text.
    Text(String),
    /// A decimal number.
    Number(f64),
    /// A whole number.
    Integer(i64),
    /// A date.
    Date(NaiveDate),
}

impl Cell {
    /// The text form used in CSV: numbers in their shortest round-trip spelling, dates
    /// in ISO 8601.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Integer(n) => n.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

/// A value read from a file: CSV gives text, XLSX typed cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Nothing in the cell.
    Empty,
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A date.
    Date(NaiveDate),
}

impl Input {
    fn is_empty(&self) -> bool {
        match self {
            Input::Empty => true,
            Input::Text(text) => text.is_empty(),
            _ => false,
        }
    }
}

fn col(key: &str, zh: &str, kind: Kind) -> Column {
    Column::new(key, zh, kind)
}

/// The identity columns: who, where, when.
pub fn identity_columns() -> Vec<Column> {
    vec![
        col("id", "调查编号", Kind::Text),
        col("county_code", "县级区划代码", Kind::Text),
        col("township", "乡镇", Kind::Text),
        col("village", "村", Kind::Text),
        col("household", "农户", Kind::Text),
        col("surveyed_on", "调查日期", Kind::Date),
        col("technician", "调查员", Kind::Text),
        col("location.lat", "纬度", Kind::Number),
        col("location.lon", "经度", Kind::Number),
        col("location.accuracy_m", "定位精度(米)", Kind::Number),
        col("weight", "抽样权重", Kind::Number),
    ]
}

/// Mulch film columns.
pub fn film_columns() -> Vec<Column> {
    vec![
        col("film.used_kg", "地膜使用量(公斤)", Kind::Number),
        col("film.area_mu", "覆膜面积(亩)", Kind::Number),
        col("film.thickness_mm", "地膜厚度(毫米)", Kind::Number),
        col("film.degradable_kg", "可降解地膜(公斤)", Kind::Number),
        col("film.recovered_kg", "地膜回收量(公斤)", Kind::Number),
        col("film.recovery_channel", "地膜去向", Kind::Text),
    ]
}

/// Pesticide packaging columns.
pub fn pesticide_columns() -> Vec<Column> {
    vec![
        col(
            "pesticide_packaging.used_count",
            "农药包装使用数(个)",
            Kind::Integer,
        ),
        col(
            "pesticide_packaging.used_kg",
            "农药包装使用量(公斤)",
            Kind::Number,
        ),
        col(
            "pesticide_packaging.returned_count",
            "农药包装回收数(个)",
            Kind::Integer,
        ),
        col(
            "pesticide_packaging.returned_kg",
            "农药包装回收量(公斤)",
            Kind::Number,
        ),
        col(
            "pesticide_packaging.return_channel",
            "农药包装回收渠道",
            Kind::Text,
        ),
    ]
}

/// The fields of one crop's straw, as (field, Chinese label).
const STRAW_FIELDS: [(&str, &str); 10] = [
    ("area_mu", "播种面积(亩)"),
    ("yield_kg", "产量(公斤)"),
    ("straw_kg", "秸秆可收集量(公斤)"),
    ("fertilizer_kg", "肥料化(公斤)"),
    ("feed_kg", "饲料化(公斤)"),
    ("substrate_kg", "基料化(公斤)"),
    ("fuel_kg", "燃料化(公斤)"),
    ("raw_material_kg", "原料化(公斤)"),
    ("burned_kg", "露天焚烧(公斤)"),
    ("discarded_kg", "丢弃(公斤)"),
];

/// The straw counted in bundles or cart-loads (`straw_count`), after [`STRAW_FIELDS`]:
/// (field, Chinese label, cell type). All three are empty when the straw was not counted.
const STRAW_COUNT_FIELDS: [(&str, &str, Kind); 3] = [
    (
        "straw_count.unit",
        "秸秆计数方式(bundle 按捆 / cartload 按车)",
        Kind::Text,
    ),
    ("straw_count.count", "捆数或车数", Kind::Number),
    ("straw_count.kg_each", "每捆或每车重量(公斤)", Kind::Number),
];

/// One crop's straw columns, keyed `{prefix}.{field}`, headed `{zh_prefix}{label}`.
fn straw_field_columns(prefix: &str, zh_prefix: &str) -> Vec<Column> {
    STRAW_FIELDS
        .iter()
        .map(|(field, zh)| (*field, *zh, Kind::Number))
        .chain(STRAW_COUNT_FIELDS)
        .map(|(field, zh, kind)| {
            col(
                &format!("{prefix}.{field}"),
                &format!("{zh_prefix}{zh}"),
                kind,
            )
        })
        .collect()
}

/// Straw columns of the one-row-per-survey layout: the crops in the survey's order, then
/// a group of columns per crop (a crop occurs at most once per survey).
pub fn straw_wide_columns() -> Vec<Column> {
    let mut columns = vec![col("straw.crops", "秸秆作物(顺序)", Kind::Text)];
    for crop in Crop::ALL {
        columns.extend(straw_field_columns(
            &format!("straw.{}", crop.key()),
            crop.name_zh(),
        ));
    }
    columns
}

/// Straw columns of the one-row-per-crop layout (the XLSX straw sheet), after the
/// survey id.
pub fn straw_long_columns() -> Vec<Column> {
    let mut columns = vec![col("straw.crop", "作物", Kind::Text)];
    columns.extend(straw_field_columns("straw", ""));
    columns
}

/// Yak dung columns.
pub fn yak_dung_columns() -> Vec<Column> {
    vec![
        col("yak_dung.yak_head", "牦牛存栏(头)", Kind::Integer),
        col("yak_dung.produced_kg", "牦牛粪产生量(公斤)", Kind::Number),
        col("yak_dung.fuel_kg", "牦牛粪燃料化(公斤)", Kind::Number),
        col("yak_dung.fertilizer_kg", "牦牛粪肥料化(公斤)", Kind::Number),
        col("yak_dung.other_kg", "牦牛粪其他利用(公斤)", Kind::Number),
        col("yak_dung.discarded_kg", "牦牛粪丢弃(公斤)", Kind::Number),
    ]
}

/// The survey-id column that links a section sheet's rows to the surveys sheet.
pub fn survey_id_column() -> Column {
    col("survey_id", "调查编号", Kind::Text)
}

/// Every column of the one-row-per-survey layout (CSV), in order.
pub fn wide_columns() -> Vec<Column> {
    let mut columns = identity_columns();
    columns.extend(film_columns());
    columns.extend(pesticide_columns());
    columns.extend(straw_wide_columns());
    columns.extend(yak_dung_columns());
    columns
}

fn opt_number(value: Option<f64>) -> Cell {
    value.map_or(Cell::Empty, Cell::Number)
}

fn text(value: &str) -> Cell {
    Cell::Text(value.to_owned())
}

/// A serde key (`recovery_point`) of a unit enum.
fn enum_key<T: serde::Serialize>(value: &T) -> Cell {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(key)) => Cell::Text(key),
        _ => Cell::Empty,
    }
}

/// Identity cells, in [`identity_columns`] order.
pub fn identity_cells(survey: &Survey) -> Vec<Cell> {
    let location = survey.location;
    vec![
        Cell::Text(survey.id.to_string()),
        text(&survey.county_code),
        text(&survey.township),
        text(&survey.village),
        text(&survey.household),
        Cell::Date(survey.surveyed_on),
        text(&survey.technician),
        opt_number(location.map(|p| p.lat)),
        opt_number(location.map(|p| p.lon)),
        opt_number(location.and_then(|p| p.accuracy_m)),
        Cell::Number(survey.weight),
    ]
}

/// Film cells, in [`film_columns`] order.
pub fn film_cells(film: &FilmSection) -> Vec<Cell> {
    vec![
        Cell::Number(film.used_kg),
        opt_number(film.area_mu),
        opt_number(film.thickness_mm),
        Cell::Number(film.degradable_kg),
        Cell::Number(film.recovered_kg),
        film.recovery_channel.as_ref().map_or(Cell::Empty, enum_key),
    ]
}

/// Pesticide packaging cells, in [`pesticide_columns`] order.
pub fn pesticide_cells(section: &PesticidePackagingSection) -> Vec<Cell> {
    vec![
        Cell::Integer(section.used_count),
        opt_number(section.used_kg),
        Cell::Integer(section.returned_count),
        opt_number(section.returned_kg),
        section
            .return_channel
            .as_ref()
            .map_or(Cell::Empty, enum_key),
    ]
}

/// One crop's straw cells, in [`STRAW_FIELDS`] then [`STRAW_COUNT_FIELDS`] order.
pub fn straw_crop_cells(crop: &StrawCrop) -> Vec<Cell> {
    let count = crop.straw_count.as_ref();
    vec![
        opt_number(crop.area_mu),
        opt_number(crop.yield_kg),
        opt_number(crop.straw_kg),
        Cell::Number(crop.fertilizer_kg),
        Cell::Number(crop.feed_kg),
        Cell::Number(crop.substrate_kg),
        Cell::Number(crop.fuel_kg),
        Cell::Number(crop.raw_material_kg),
        Cell::Number(crop.burned_kg),
        Cell::Number(crop.discarded_kg),
        count.map_or(Cell::Empty, |c| text(c.unit.key())),
        count.map_or(Cell::Empty, |c| Cell::Number(c.count)),
        count.map_or(Cell::Empty, |c| Cell::Number(c.kg_each)),
    ]
}

/// Yak dung cells, in [`yak_dung_columns`] order.
pub fn yak_dung_cells(section: &YakDungSection) -> Vec<Cell> {
    vec![
        section.yak_head.map_or(Cell::Empty, Cell::Integer),
        opt_number(section.produced_kg),
        Cell::Number(section.fuel_kg),
        Cell::Number(section.fertilizer_kg),
        Cell::Number(section.other_kg),
        Cell::Number(section.discarded_kg),
    ]
}

/// A survey as one row, in [`wide_columns`] order.
pub fn wide_cells(survey: &Survey) -> Vec<Cell> {
    let mut cells = identity_cells(survey);
    match &survey.film {
        Some(film) => cells.extend(film_cells(film)),
        None => cells.extend(std::iter::repeat_n(Cell::Empty, film_columns().len())),
    }
    match &survey.pesticide_packaging {
        Some(section) => cells.extend(pesticide_cells(section)),
        None => cells.extend(std::iter::repeat_n(Cell::Empty, pesticide_columns().len())),
    }
    let order: Vec<&str> = survey.straw.iter().map(|c| c.crop.key()).collect();
    cells.push(if order.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(order.join(";"))
    });
    for crop in Crop::ALL {
        match survey.straw.iter().find(|c| c.crop == crop) {
            Some(entry) => cells.extend(straw_crop_cells(entry)),
            None => cells.extend(std::iter::repeat_n(
                Cell::Empty,
                STRAW_FIELDS.len() + STRAW_COUNT_FIELDS.len(),
            )),
        }
    }
    match &survey.yak_dung {
        Some(section) => cells.extend(yak_dung_cells(section)),
        None => cells.extend(std::iter::repeat_n(Cell::Empty, yak_dung_columns().len())),
    }
    cells
}

/// Reads cells by column key, collecting every problem instead of stopping at the first.
/// Problems are reported at the survey's wire path (`straw[1].feed_kg`), whatever the
/// file's column is called.
pub struct RowReader<'a> {
    get: &'a dyn Fn(&str) -> Input,
    /// Problems found so far.
    pub issues: Vec<Issue>,
}

fn bad(path: &str, zh: String, en: String) -> Issue {
    Issue::error(path, IssueCode::InvalidValue, zh, en)
}

impl<'a> RowReader<'a> {
    /// Reads from `get`, which answers the cell under a column key.
    pub fn new(get: &'a dyn Fn(&str) -> Input) -> RowReader<'a> {
        RowReader {
            get,
            issues: Vec::new(),
        }
    }

    /// Whether any of the columns has a value.
    pub fn any(&self, keys: &[Column]) -> bool {
        keys.iter().any(|c| !(self.get)(&c.key).is_empty())
    }

    /// Whether the column has a value.
    pub fn has(&self, key: &str) -> bool {
        !(self.get)(key).is_empty()
    }

    fn missing(&mut self, path: &str) {
        self.issues.push(Issue::error(
            path,
            IssueCode::MissingField,
            format!("缺少 {path}"),
            format!("{path} is missing"),
        ));
    }

    /// Text; empty when the cell is empty. Kept exactly as read (no trimming): the
    /// round trip must give back the very same string.
    pub fn text(&mut self, key: &str) -> String {
        match (self.get)(key) {
            Input::Empty => String::new(),
            Input::Text(text) => text,
            Input::Number(n) => n.to_string(),
            Input::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }

    /// Text that must be present.
    pub fn required_text(&mut self, key: &str, path: &str) -> Option<String> {
        let value = self.text(key);
        if value.is_empty() {
            self.missing(path);
            None
        } else {
            Some(value)
        }
    }

    /// An optional number.
    pub fn number(&mut self, key: &str, path: &str) -> Option<f64> {
        match (self.get)(key) {
            Input::Empty => None,
            Input::Number(n) => Some(n),
            Input::Text(text) if text.is_empty() => None,
            Input::Text(text) => match text.trim().parse::<f64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    self.issues.push(bad(
                        path,
                        format!("{path} 应为数字,而不是 {text:?}"),
                        format!("{path} must be a number, not {text:?}"),
                    ));
                    None
                }
            },
            Input::Date(d) => {
                self.issues.push(bad(
                    path,
                    format!("{path} 应为数字,而不是日期 {d}"),
                    format!("{path} must be a number, not the date {d}"),
                ));
                None
            }
        }
    }

    /// A number that must be present.
    pub fn required_number(&mut self, key: &str, path: &str) -> f64 {
        let before = self.issues.len();
        match self.number(key, path) {
            Some(n) => n,
            None => {
                if self.issues.len() == before {
                    self.missing(path);
                }
                0.0
            }
        }
    }

    /// An optional whole number.
    pub fn integer(&mut self, key: &str, path: &str) -> Option<i64> {
        let n = self.number(key, path)?;
        if n.fract() == 0.0 && n.abs() < 9.0e15 {
            Some(n as i64)
        } else {
            self.issues.push(bad(
                path,
                format!("{path} 应为整数,而不是 {n}"),
                format!("{path} must be a whole number, not {n}"),
            ));
            None
        }
    }

    /// A whole number that must be present.
    pub fn required_integer(&mut self, key: &str, path: &str) -> i64 {
        let before = self.issues.len();
        match self.integer(key, path) {
            Some(n) => n,
            None => {
                if self.issues.len() == before {
                    self.missing(path);
                }
                0
            }
        }
    }

    /// A date that must be present (`YYYY-MM-DD` in text).
    pub fn date(&mut self, key: &str, path: &str) -> Option<NaiveDate> {
        match (self.get)(key) {
            Input::Date(d) => Some(d),
            Input::Empty => {
                self.missing(path);
                None
            }
            Input::Text(text) if text.is_empty() => {
                self.missing(path);
                None
            }
            other => {
                let text = match other {
                    Input::Text(text) => text,
                    Input::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) => {
                        self.issues.push(bad(
                            path,
                            format!("{path} 应为日期(YYYY-MM-DD),而不是 {text:?}"),
                            format!("{path} must be a date (YYYY-MM-DD), not {text:?}"),
                        ));
                        None
                    }
                }
            }
        }
    }

    /// An optional enum value given by its key.
    pub fn key<T: serde::de::DeserializeOwned>(&mut self, key: &str, path: &str) -> Option<T> {
        let text = self.text(key);
        if text.is_empty() {
            return None;
        }
        match serde_json::from_value(serde_json::Value::String(text.clone())) {
            Ok(value) => Some(value),
            Err(_) => {
                self.issues.push(bad(
                    path,
                    format!("{path} 的取值 {text:?} 无效"),
                    format!("{path} has an unknown value {text:?}"),
                ));
                None
            }
        }
    }

    /// The identity fields, from [`identity_columns`]; `None` when a required one is
    /// missing or malformed (the problems are in `issues`).
    pub fn identity(&mut self) -> Option<Survey> {
        let id_text = self.required_text("id", "id");
        let id = match id_text {
            Some(text) => match Uuid::parse_str(&text) {
                Ok(id) => Some(id),
                Err(_) => {
                    self.issues.push(bad(
                        "id",
                        format!("id {text:?} 不是 UUID"),
                        format!("id {text:?} is not a UUID"),
                    ));
                    None
                }
            },
            None => None,
        };
        let county_code = self.required_text("county_code", "county_code");
        let township = self.text("township");
        let village = self.text("village");
        let household = self.required_text("household", "household");
        let surveyed_on = self.date("surveyed_on", "surveyed_on");
        let technician = self.required_text("technician", "technician");
        // Any of the three makes a location, so that a stray accuracy without a position
        // is reported rather than dropped.
        let location = if self.has("location.lat")
            || self.has("location.lon")
            || self.has("location.accuracy_m")
        {
            let lat = self.required_number("location.lat", "location.lat");
            let lon = self.required_number("location.lon", "location.lon");
            let accuracy_m = self.number("location.accuracy_m", "location.accuracy_m");
            Some(GeoPoint {
                lat,
                lon,
                accuracy_m,
            })
        } else {
            None
        };
        let weight = self.number("weight", "weight").unwrap_or(1.0);
        Some(Survey {
            id: id?,
            county_code: county_code?,
            township,
            village,
            household: household?,
            surveyed_on: surveyed_on?,
            technician: technician?,
            location,
            weight,
            film: None,
            pesticide_packaging: None,
            straw: Vec::new(),
            yak_dung: None,
        })
    }

    /// The film section, read from `film.*` keys.
    pub fn film(&mut self) -> FilmSection {
        FilmSection {
            used_kg: self.required_number("film.used_kg", "film.used_kg"),
            area_mu: self.number("film.area_mu", "film.area_mu"),
            thickness_mm: self.number("film.thickness_mm", "film.thickness_mm"),
            degradable_kg: self
                .number("film.degradable_kg", "film.degradable_kg")
                .unwrap_or(0.0),
            recovered_kg: self.required_number("film.recovered_kg", "film.recovered_kg"),
            recovery_channel: self
                .key::<FilmRecoveryChannel>("film.recovery_channel", "film.recovery_channel"),
        }
    }

    /// The pesticide packaging section.
    pub fn pesticide(&mut self) -> PesticidePackagingSection {
        let p = "pesticide_packaging";
        PesticidePackagingSection {
            used_count: self
                .required_integer(&format!("{p}.used_count"), &format!("{p}.used_count")),
            used_kg: self.number(&format!("{p}.used_kg"), &format!("{p}.used_kg")),
            returned_count: self.required_integer(
                &format!("{p}.returned_count"),
                &format!("{p}.returned_count"),
            ),
            returned_kg: self.number(&format!("{p}.returned_kg"), &format!("{p}.returned_kg")),
            return_channel: self.key::<PackagingReturnChannel>(
                &format!("{p}.return_channel"),
                &format!("{p}.return_channel"),
            ),
        }
    }

    /// One crop's straw, its fields under `{prefix}.{field}`, reported at `{path}.{field}`.
    pub fn straw_crop(&mut self, crop: Crop, prefix: &str, path: &str) -> StrawCrop {
        let value = |reader: &mut Self, field: &str| {
            reader.number(&format!("{prefix}.{field}"), &format!("{path}.{field}"))
        };
        // Any of the three makes a count, so that a stray weight without a count is
        // reported rather than dropped.
        let count_keys = STRAW_COUNT_FIELDS.map(|(field, _, _)| format!("{prefix}.{field}"));
        let straw_count = if count_keys.iter().any(|key| self.has(key)) {
            let at = |field: &str| format!("{path}.straw_count.{field}");
            let unit = self.key::<StrawCountUnit>(&count_keys[0], &at("unit"));
            if unit.is_none() && !self.has(&count_keys[0]) {
                self.missing(&at("unit"));
            }
            let count = self.required_number(&count_keys[1], &at("count"));
            let kg_each = self.required_number(&count_keys[2], &at("kg_each"));
            unit.map(|unit| StrawCount {
                unit,
                count,
                kg_each,
            })
        } else {
            None
        };
        StrawCrop {
            crop,
            area_mu: value(self, "area_mu"),
            yield_kg: value(self, "yield_kg"),
            straw_kg: value(self, "straw_kg"),
            straw_count,
            fertilizer_kg: value(self, "fertilizer_kg").unwrap_or(0.0),
            feed_kg: value(self, "feed_kg").unwrap_or(0.0),
            substrate_kg: value(self, "substrate_kg").unwrap_or(0.0),
            fuel_kg: value(self, "fuel_kg").unwrap_or(0.0),
            raw_material_kg: value(self, "raw_material_kg").unwrap_or(0.0),
            burned_kg: value(self, "burned_kg").unwrap_or(0.0),
            discarded_kg: value(self, "discarded_kg").unwrap_or(0.0),
        }
    }

    /// A crop key.
    pub fn crop(&mut self, text: &str, path: &str) -> Option<Crop> {
        let crop = Crop::from_key(text.trim());
        if crop.is_none() {
            self.issues.push(bad(
                path,
                format!("未知作物 {text:?}"),
                format!("unknown crop {text:?}"),
            ));
        }
        crop
    }

    /// The yak dung section.
    pub fn yak_dung(&mut self) -> YakDungSection {
        let value = |reader: &mut Self, field: &str| {
            reader.number(&format!("yak_dung.{field}"), &format!("yak_dung.{field}"))
        };
        YakDungSection {
            yak_head: self.integer("yak_dung.yak_head", "yak_dung.yak_head"),
            produced_kg: value(self, "produced_kg"),
            fuel_kg: value(self, "fuel_kg").unwrap_or(0.0),
            fertilizer_kg: value(self, "fertilizer_kg").unwrap_or(0.0),
            other_kg: value(self, "other_kg").unwrap_or(0.0),
            discarded_kg: value(self, "discarded_kg").unwrap_or(0.0),
        }
    }

    /// A whole survey from one row of the [`wide_columns`] layout.
    pub fn wide_survey(&mut self) -> Option<Survey> {
        let mut survey = self.identity();
        if self.any(&film_columns()) {
            let film = self.film();
            if let Some(s) = survey.as_mut() {
                s.film = Some(film);
            }
        }
        if self.any(&pesticide_columns()) {
            let section = self.pesticide();
            if let Some(s) = survey.as_mut() {
                s.pesticide_packaging = Some(section);
            }
        }
        let order = self.text("straw.crops");
        let mut listed = Vec::new();
        for (index, key) in order
            .split(';')
            .filter(|k| !k.trim().is_empty())
            .enumerate()
        {
            let Some(crop) = self.crop(key, &format!("straw[{index}].crop")) else {
                continue;
            };
            let entry = self.straw_crop(
                crop,
                &format!("straw.{}", crop.key()),
                &format!("straw[{index}]"),
            );
            listed.push(crop);
            if let Some(s) = survey.as_mut() {
                s.straw.push(entry);
            }
        }
        for crop in Crop::ALL {
            let group = straw_field_columns(&format!("straw.{}", crop.key()), "");
            if !listed.contains(&crop) && self.any(&group) {
                self.issues.push(bad(
                    "straw.crops",
                    format!(
                        "有{}的秸秆数据,但 straw.crops 中没有列出该作物",
                        crop.name_zh()
                    ),
                    format!(
                        "there is straw data for {} but straw.crops does not list it",
                        crop.name_en()
                    ),
                ));
            }
        }
        if self.any(&yak_dung_columns()) {
            let section = self.yak_dung();
            if let Some(s) = survey.as_mut() {
                s.yak_dung = Some(section);
            }
        }
        if self.issues.is_empty() { survey } else { None }
    }
}

#[cfg(test)]
mod tests {
    use agriwaste_analytics::synthetic::SyntheticSpec;

    use super::*;

    /// Writes a survey as one CSV-style row of text and reads it back.
    fn through_text(survey: &Survey) -> Result<Survey, Vec<Issue>> {
        let columns = wide_columns();
        let cells = wide_cells(survey);
        assert_eq!(cells.len(), columns.len());
        let row: std::collections::HashMap<String, String> = columns
            .iter()
            .zip(&cells)
            .map(|(c, v)| (c.key.clone(), v.to_text()))
            .collect();
        let get = |key: &str| {
            row.get(key)
                .map_or(Input::Empty, |text| Input::Text(text.clone()))
        };
        let mut reader = RowReader::new(&get);
        let survey = reader.wide_survey();
        survey.ok_or(reader.issues)
    }

    #[test]
    fn every_synthetic_survey_survives_the_row_layout() {
        let spec = SyntheticSpec::default();
        for survey in spec.surveys(2000) {
            assert_eq!(through_text(&survey), Ok(survey.clone()), "{}", survey.id);
        }
    }

    #[test]
    fn counted_straw_survives_the_row_layout_and_a_partial_count_is_named() {
        let surveys = SyntheticSpec::default().surveys(500);
        let counted = surveys
            .iter()
            .find(|s| s.straw.iter().any(|c| c.straw_count.is_some()))
            .expect("a synthetic survey with counted straw");
        assert_eq!(through_text(counted), Ok(counted.clone()));
        // A weight of one bundle without the count or the unit: both named, at the
        // survey's wire paths.
        let mut survey = counted.clone();
        let index = survey
            .straw
            .iter()
            .position(|c| c.straw_count.is_some())
            .unwrap_or_default();
        let key = survey.straw[index].crop.key().to_owned();
        survey.straw[index].straw_count = None;
        let columns = wide_columns();
        let cells = wide_cells(&survey);
        let weight_key = format!("straw.{key}.straw_count.kg_each");
        let get = |column: &str| {
            if column == weight_key {
                return Input::Text("15".to_owned());
            }
            columns
                .iter()
                .position(|c| c.key == column)
                .map_or(Input::Empty, |i| Input::Text(cells[i].to_text()))
        };
        let mut reader = RowReader::new(&get);
        assert_eq!(reader.wide_survey(), None);
        let paths: Vec<String> = reader.issues.iter().map(|i| i.path.clone()).collect();
        assert_eq!(
            paths,
            [
                format!("straw[{index}].straw_count.unit"),
                format!("straw[{index}].straw_count.count")
            ]
        );
    }

    #[test]
    fn straw_keeps_the_surveys_crop_order() {
        let mut survey = SyntheticSpec::default()
            .surveys(500)
            .into_iter()
            .find(|s| s.straw.len() >= 2)
            .expect("a synthetic survey with two crops");
        survey.straw.reverse();
        assert_eq!(through_text(&survey), Ok(survey.clone()));
    }

    #[test]
    fn straw_values_for_an_unlisted_crop_are_an_error() {
        let survey = SyntheticSpec::default()
            .surveys(500)
            .into_iter()
            .find(|s| !s.straw.is_empty())
            .expect("a synthetic survey with straw");
        let columns = wide_columns();
        let cells = wide_cells(&survey);
        let get = |key: &str| match key {
            "straw.crops" => Input::Empty,
            _ => columns
                .iter()
                .position(|c| c.key == key)
                .map_or(Input::Empty, |i| Input::Text(cells[i].to_text())),
        };
        let mut reader = RowReader::new(&get);
        assert_eq!(reader.wide_survey(), None);
        assert!(reader.issues.iter().any(|i| i.path == "straw.crops"));
    }

    #[test]
    fn malformed_cells_name_the_field() {
        let get = |key: &str| match key {
            "id" => Input::Text("4809e626-d39f-48d8-8415-589cd8381f31".to_owned()),
            "county_code" => Input::Text("542523".to_owned()),
            "household" => Input::Text("HH-1".to_owned()),
            "surveyed_on" => Input::Text("2025-13-01".to_owned()),
            "technician" => Input::Text("t".to_owned()),
            "film.used_kg" => Input::Text("12,5".to_owned()),
            "pesticide_packaging.used_count" => Input::Text("2.5".to_owned()),
            _ => Input::Empty,
        };
        let mut reader = RowReader::new(&get);
        assert_eq!(reader.wide_survey(), None);
        let paths: Vec<(&str, &str)> = reader
            .issues
            .iter()
            .map(|i| (i.path.as_str(), i.code.as_str()))
            .collect();
        assert_eq!(
            paths,
            [
                ("surveyed_on", "invalid_value"),
                ("film.used_kg", "invalid_value"),
                ("film.recovered_kg", "missing_field"),
                ("pesticide_packaging.used_count", "invalid_value"),
                ("pesticide_packaging.returned_count", "missing_field"),
            ]
        );
    }
}
