//! Indicator tables as files: the groups of `GET /api/v1/indicators` flattened to one row
//! per group and indicator (rate, numerator, denominator, n, interval, target, gap,
//! phase, quality), plus the straw five-use structure per group. CSV (BOM, CRLF), NDJSON
//! (one object per row, English keys) and XLSX (a sheet each, typed cells, frozen
//! header). Groups are few (regions × years), so the tables are built whole.

use std::path::Path;

use agriwaste_analytics::indicators::{Indicator, StrawUse};
use agriwaste_analytics::report::GroupReport;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::layout::{Cell, Column, Kind, Lang};
use super::text::{BOM, csv_cell, write_csv_record};

/// A table: columns and rows of cells.
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

fn group_columns() -> Vec<Column> {
    vec![
        Column::new("region_code", "区划代码", Kind::Text),
        Column::new("region_name", "区划名称", Kind::Text),
        Column::new("year", "年份", Kind::Integer),
        Column::new("households", "调查户数", Kind::Integer),
    ]
}

fn group_cells(report: &GroupReport, lang: Lang) -> Vec<Cell> {
    let group = &report.group;
    let name = match lang {
        Lang::Zh => &group.region_name_zh,
        Lang::En => &group.region_name_en,
    };
    vec![
        text(group.key.region_code.clone()),
        text(name.clone()),
        group
            .key
            .year
            .map_or(Cell::Empty, |y| Cell::Integer(y.into())),
        Cell::Integer(group.households as i64),
    ]
}

fn text(value: Option<String>) -> Cell {
    value.map_or(Cell::Empty, Cell::Text)
}

fn number(value: Option<f64>) -> Cell {
    value
        .filter(|v| v.is_finite())
        .map_or(Cell::Empty, Cell::Number)
}

fn yes_no(value: bool, lang: Lang) -> Cell {
    Cell::Text(
        match (value, lang) {
            (true, Lang::Zh) => "是",
            (false, Lang::Zh) => "否",
            (true, Lang::En) => "yes",
            (false, Lang::En) => "no",
        }
        .to_owned(),
    )
}

/// One row per group and indicator.
pub fn indicator_table(groups: &[GroupReport], lang: Lang) -> Table {
    let mut columns = group_columns();
    columns.extend([
        Column::new("indicator", "指标代码", Kind::Text),
        Column::new("indicator_name", "指标名称", Kind::Text),
        Column::new("n", "样本户数", Kind::Integer),
        Column::new("rate", "比率(加权)", Kind::Number),
        Column::new("ci_low", "95%置信下限", Kind::Number),
        Column::new("ci_high", "95%置信上限", Kind::Number),
        Column::new("se", "标准误", Kind::Number),
        Column::new("unweighted_rate", "比率(未加权)", Kind::Number),
        Column::new("numerator", "分子", Kind::Number),
        Column::new("denominator", "分母", Kind::Number),
        Column::new("weighted_numerator", "加权分子", Kind::Number),
        Column::new("weighted_denominator", "加权分母", Kind::Number),
        Column::new("small_n", "样本不足30户", Kind::Text),
        Column::new("target", "目标值", Kind::Number),
        Column::new("target_region", "目标所属区划", Kind::Text),
        Column::new("target_year", "目标年份", Kind::Integer),
        Column::new("gap_pp", "差距(百分点)", Kind::Number),
        Column::new("met", "是否达标", Kind::Text),
        Column::new("phase", "规划阶段", Kind::Text),
        Column::new("warning_share", "带警告调查占比", Kind::Number),
        Column::new("rate_above_one", "比率超过100%", Kind::Text),
        Column::new(
            "left_out",
            "未计入的作物记录或牦牛粪调查(条)",
            Kind::Integer,
        ),
        Column::new(
            "straw_crops_left_out",
            "未计入的作物(无草谷比且未称重或计数)",
            Kind::Text,
        ),
    ]);
    let mut rows = Vec::new();
    for report in groups {
        let quality = &report.group.quality;
        for (indicator, estimate) in &report.group.indicators {
            let mut row = group_cells(report, lang);
            let progress = report.progress.get(indicator);
            row.extend([
                Cell::Text(indicator.key().to_owned()),
                Cell::Text(
                    match lang {
                        Lang::Zh => indicator.name_zh(),
                        Lang::En => indicator.name_en(),
                    }
                    .to_owned(),
                ),
                Cell::Integer(estimate.n as i64),
                number(estimate.rate),
                number(estimate.ci_low),
                number(estimate.ci_high),
                number(estimate.se),
                number(estimate.unweighted_rate),
                number(Some(estimate.numerator)),
                number(Some(estimate.denominator)),
                number(Some(estimate.weighted_numerator)),
                number(Some(estimate.weighted_denominator)),
                yes_no(estimate.small_n, lang),
                number(progress.map(|p| p.target.target.target)),
                text(progress.map(|p| p.target.target.region_code.clone())),
                progress.map_or(Cell::Empty, |p| Cell::Integer(p.target.target.year.into())),
                number(progress.map(|p| p.gap_pp)),
                progress.map_or(Cell::Empty, |p| yes_no(p.met, lang)),
                text(
                    progress
                        .and_then(|p| p.phase.as_ref())
                        .map(|phase| match lang {
                            Lang::Zh => phase.name_zh.clone(),
                            Lang::En => phase.name_en.clone(),
                        }),
                ),
                number(quality.warning_share),
                yes_no(quality.rates_above_one.contains(indicator), lang),
            ]);
            row.extend(left_out_cells(report, *indicator, lang));
            rows.push(row);
        }
    }
    Table { columns, rows }
}

/// What a rate leaves out: for the straw rate the crop records whose straw was neither
/// weighed nor counted and has no confirmed 草谷比, with the crops by name and number
/// ("青稞 12、玉米 1"); for the yak dung rate the sections whose dung produced could not be
/// had; nothing for the others.
fn left_out_cells(report: &GroupReport, indicator: Indicator, lang: Lang) -> [Cell; 2] {
    let provenance = &report.group.provenance;
    match indicator {
        Indicator::StrawUtilization => {
            let crops: Vec<String> = provenance
                .straw_crops_left_out
                .iter()
                .map(|(crop, n)| match lang {
                    Lang::Zh => format!("{} {n}", crop.name_zh()),
                    Lang::En => format!("{} {n}", crop.name_en()),
                })
                .collect();
            [
                Cell::Integer(provenance.straw_crops_excluded.into()),
                Cell::Text(crops.join(match lang {
                    Lang::Zh => "、",
                    Lang::En => ", ",
                })),
            ]
        }
        Indicator::YakDungUtilization => [
            Cell::Integer(provenance.dung_sections_excluded.into()),
            Cell::Empty,
        ],
        _ => [Cell::Empty, Cell::Empty],
    }
}

/// One row per group and straw use: the five-use structure (五料化).
pub fn straw_use_table(groups: &[GroupReport], lang: Lang) -> Table {
    let mut columns = group_columns();
    columns.extend([
        Column::new("straw_use", "利用方式", Kind::Text),
        Column::new("kg", "利用量(kg)", Kind::Number),
        Column::new("weighted_kg", "加权利用量(kg)", Kind::Number),
        Column::new("share", "占可收集量比例", Kind::Number),
    ]);
    let mut rows = Vec::new();
    for report in groups {
        for use_ in StrawUse::ALL {
            let Some(share) = report.group.straw_uses.get(&use_) else {
                continue;
            };
            let mut row = group_cells(report, lang);
            row.extend([
                Cell::Text(
                    match lang {
                        Lang::Zh => use_.name_zh(),
                        Lang::En => use_.name_en(),
                    }
                    .to_owned(),
                ),
                number(Some(share.kg)),
                number(Some(share.weighted_kg)),
                number(share.share),
            ]);
            rows.push(row);
        }
    }
    Table { columns, rows }
}

impl Table {
    /// CSV: BOM, header row in `lang`, CRLF.
    pub fn to_csv(&self, lang: Lang) -> Vec<u8> {
        let mut out = BOM.to_vec();
        let headers: Vec<&str> = self.columns.iter().map(|c| c.header(lang)).collect();
        write_csv_record(&headers, &mut out);
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(csv_cell).collect();
            write_csv_record(&cells, &mut out);
        }
        out
    }

    /// NDJSON: one object per row, keyed by the English column keys, numbers as numbers.
    pub fn to_ndjson(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for row in &self.rows {
            let object: serde_json::Map<String, serde_json::Value> = self
                .columns
                .iter()
                .zip(row)
                .map(|(column, cell)| {
                    let value = match cell {
                        Cell::Empty => serde_json::Value::Null,
                        Cell::Text(t) => t.clone().into(),
                        Cell::Number(n) => (*n).into(),
                        Cell::Integer(n) => (*n).into(),
                        Cell::Date(d) => d.format("%Y-%m-%d").to_string().into(),
                    };
                    (column.key.clone(), value)
                })
                .collect();
            out.extend_from_slice(serde_json::Value::Object(object).to_string().as_bytes());
            out.push(b'\n');
        }
        out
    }
}

/// Indicators as rows (NDJSON): the indicator table with English keys.
pub fn ndjson(groups: &[GroupReport]) -> Vec<u8> {
    indicator_table(groups, Lang::En).to_ndjson()
}

/// A workbook with the indicator table and the straw-use table, typed cells, frozen
/// header rows, written to `path`.
pub fn write_xlsx(groups: &[GroupReport], lang: Lang, path: &Path) -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    // A fixed creation time: the same figures give the same file.
    let epoch = ExcelDateTime::from_ymd(2000, 1, 1)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&epoch));
    let header = Format::new().set_bold();
    let sheets = [
        (("indicators", "指标"), indicator_table(groups, lang)),
        (
            ("straw_uses", "秸秆五料化结构"),
            straw_use_table(groups, lang),
        ),
    ];
    for ((en, zh), table) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(match lang {
            Lang::Zh => zh,
            Lang::En => en,
        })?;
        for (col, column) in table.columns.iter().enumerate() {
            sheet.set_column_width(col as u16, column.width)?;
            sheet.write_string_with_format(0, col as u16, column.header(lang), &header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (index, row) in table.rows.iter().enumerate() {
            let r = index as u32 + 1;
            for (col, cell) in row.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Empty | Cell::Date(_) => {}
                    Cell::Text(t) => {
                        sheet.write_string(r, col, t)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, col, *n)?;
                    }
                    Cell::Integer(n) => {
                        sheet.write_number(r, col, *n as f64)?;
                    }
                }
            }
        }
    }
    book.save(path)
}
