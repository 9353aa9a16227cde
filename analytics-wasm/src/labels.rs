//! The survey's fields as a person reads them: the form's label and unit for each wire
//! path, in Chinese and English.
//!
//! Issue messages name fields by these labels, never by wire path, so the same sentence
//! reads right on the phone, on the review page and in an API consumer's log (programs
//! switch on the issue's `path` and `code`). The labels are the ones the form shows
//! (`web/shared/fields.js`); a test checks that the two tables agree.

/// What a field holds, which decides how a problem with it is worded ("enter a number",
/// "enter a date").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A decimal amount (kg, mu, mm), where 0 means none.
    Number,
    /// A decimal that must be above 0 (the weight of one bundle): left blank it is not
    /// recorded, and 0 is no answer.
    Positive,
    /// A decimal that is not an amount (latitude, longitude): 0 is a place, not "none".
    Coordinate,
    /// A whole number (packages, yaks).
    Count,
    /// Free text or a code.
    Text,
    /// A calendar date.
    Date,
    /// One of a list of choices.
    Choice,
    /// The survey's identifier.
    Id,
    /// A group of fields: a section, a straw row, the location.
    Group,
}

/// A unit as the form writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// Chinese (公斤).
    pub zh: &'static str,
    /// English (kg).
    pub en: &'static str,
}

const KG: Option<Unit> = Some(Unit {
    zh: "公斤",
    en: "kg",
});
const MU: Option<Unit> = Some(Unit {
    zh: "亩", en: "mu"
});
const PIECES: Option<Unit> = Some(Unit {
    zh: "个",
    en: "pcs",
});

/// One field's label, unit, kind and (for a choice) the choices: wire value, zh, en.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldLabel {
    /// The field's key within its section (`used_kg`) or at the top (`household`).
    pub key: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
    /// Unit, for amounts.
    pub unit: Option<Unit>,
    /// What it holds.
    pub kind: FieldKind,
    /// The choices of a [`FieldKind::Choice`]: wire value, Chinese, English.
    pub choices: &'static [(&'static str, &'static str, &'static str)],
}

const fn field(
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    kind: FieldKind,
    unit: Option<Unit>,
) -> FieldLabel {
    FieldLabel {
        key,
        zh,
        en,
        unit,
        kind,
        choices: &[],
    }
}

const fn choice(
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    choices: &'static [(&'static str, &'static str, &'static str)],
) -> FieldLabel {
    FieldLabel {
        choices,
        ..field(key, zh, en, FieldKind::Choice, None)
    }
}

use FieldKind::{Coordinate, Count, Date, Group, Id, Number, Positive, Text};

// One field a line: the table reads like the form's (web/shared/fields.js).

/// The top-level fields.
#[rustfmt::skip]
pub const IDENTITY: &[FieldLabel] = &[
    field("id", "调查编号", "Survey id", Id, None),
    field("county_code", "县(区划代码)", "County (division code)", Text, None),
    field("township", "乡镇", "Township", Text, None),
    field("village", "村", "Village", Text, None),
    field("household", "农户名称或编号", "Household name or code", Text, None),
    field("surveyed_on", "调查日期", "Survey date", Date, None),
    field("technician", "调查员", "Technician", Text, None),
    field("weight", "抽样权重", "Sampling weight", Number, Some(Unit { zh: "户", en: "households" })),
    field("location", "位置", "Location", Group, None),
    field("film", "地膜", "Mulch film", Group, None),
    field("pesticide_packaging", "农药包装废弃物", "Pesticide packaging", Group, None),
    field("straw", "秸秆", "Crop straw", Group, None),
    field("yak_dung", "牦牛粪", "Yak dung", Group, None),
];

/// The fields of `location`.
#[rustfmt::skip]
pub const LOCATION: &[FieldLabel] = &[
    field("lat", "纬度", "Latitude", Coordinate, Some(Unit { zh: "°N", en: "°N" })),
    field("lon", "经度", "Longitude", Coordinate, Some(Unit { zh: "°E", en: "°E" })),
    field("accuracy_m", "精度", "Accuracy", Number, Some(Unit { zh: "米", en: "m" })),
];

/// The fields of `film`.
#[rustfmt::skip]
pub const FILM: &[FieldLabel] = &[
    field("used_kg", "地膜使用量", "Film used", Number, KG),
    field("recovered_kg", "地膜回收量", "Film recovered", Number, KG),
    field("degradable_kg", "其中可降解地膜", "of which degradable", Number, KG),
    field("area_mu", "覆膜面积", "Area covered", Number, MU),
    field("thickness_mm", "地膜厚度", "Film thickness", Number, Some(Unit { zh: "毫米", en: "mm" })),
    choice("recovery_channel", "主要去向", "Where most of it went", &[
        ("recovery_point", "回收网点", "recovery point"),
        ("waste_supermarket", "垃圾超市", "waste supermarket"),
        ("reuse", "一膜多茬(重复使用)", "reused for several seasons"),
        ("burned", "焚烧", "burned"),
        ("buried", "掩埋", "buried"),
        ("left_in_field", "遗留田间", "left in the field"),
    ]),
];

/// The fields of `pesticide_packaging`.
#[rustfmt::skip]
pub const PESTICIDE_PACKAGING: &[FieldLabel] = &[
    field("used_count", "使用包装数", "Packages used", Count, PIECES),
    field("returned_count", "回收包装数", "Packages returned", Count, PIECES),
    field("used_kg", "使用包装重量", "Weight used", Number, KG),
    field("returned_kg", "回收包装重量", "Weight returned", Number, KG),
    choice("return_channel", "回收去向", "Returned to", &[
        ("seller", "农药销售者", "seller"),
        ("recovery_point", "回收网点", "recovery point"),
        ("waste_supermarket", "垃圾超市", "waste supermarket"),
        ("improper_disposal", "随意丢弃 / 焚烧 / 掩埋", "improper disposal"),
    ]),
];

/// The fields of one `straw` row.
#[rustfmt::skip]
pub const STRAW: &[FieldLabel] = &[
    choice("crop", "作物", "Crop", &[
        ("highland_barley", "青稞", "highland barley"),
        ("spring_wheat", "春小麦", "spring wheat"),
        ("rapeseed", "油菜", "rapeseed"),
        ("potato", "马铃薯", "potato"),
        ("corn", "玉米", "corn"),
        ("pea_broad_bean", "豌豆 / 蚕豆", "pea / broad bean"),
        ("other", "其他作物", "other crop"),
    ]),
    field("area_mu", "播种面积", "Sown area", Number, MU),
    field("yield_kg", "产量", "Yield", Number, KG),
    field("straw_kg", "可收集秸秆量(实测)", "Collectable straw (measured)", Number, KG),
    field("straw_count", "秸秆计数", "Straw counted", Group, None),
    choice("straw_count.unit", "计数方式", "Counted by", &[
        ("bundle", "按捆", "the bundle"),
        ("cartload", "按车", "the cart-load"),
    ]),
    field("straw_count.count", "捆数或车数", "Bundles or cart-loads counted", Number, None),
    field("straw_count.kg_each", "每捆或每车重量", "Weight of one bundle or cart-load", Positive, KG),
    field("fertilizer_kg", "肥料化(含还田)", "Fertilizer (incl. returned to field)", Number, KG),
    field("feed_kg", "饲料化", "Feed", Number, KG),
    field("substrate_kg", "基料化", "Substrate", Number, KG),
    field("fuel_kg", "燃料化", "Fuel", Number, KG),
    field("raw_material_kg", "原料化", "Industrial raw material", Number, KG),
    field("burned_kg", "露天焚烧", "Burned in the open", Number, KG),
    field("discarded_kg", "废弃", "Discarded", Number, KG),
];

/// The fields of `yak_dung`.
#[rustfmt::skip]
pub const YAK_DUNG: &[FieldLabel] = &[
    field("yak_head", "牦牛存栏", "Yaks kept", Count, Some(Unit { zh: "头", en: "head" })),
    field("produced_kg", "牛粪产生量(实测)", "Dung produced (measured)", Number, KG),
    field("fuel_kg", "燃料利用", "Used as fuel", Number, KG),
    field("fertilizer_kg", "肥料利用", "Used as fertilizer", Number, KG),
    field("other_kg", "其他利用", "Other uses", Number, KG),
    field("discarded_kg", "废弃", "Discarded", Number, KG),
];

/// A straw row (`straw[2]`), which the form numbers from 1.
const STRAW_ROW: FieldLabel = field("straw[]", "秸秆作物", "Crop straw row", Group, None);

/// The label of the field at wire path `path` (`household`, `film.used_kg`,
/// `straw[0].feed_kg`, `location.lat`, `yak_dung`). A path inside an envelope
/// (`surveys[3].film.used_kg`, `survey.household`) is looked up by its survey part.
pub fn field_label(path: &str) -> Option<&'static FieldLabel> {
    let mut rest = path;
    loop {
        if let Some(found) = survey_field(rest) {
            return Some(found);
        }
        let cut = rest.find(['.', ']'])?;
        rest = rest[cut + 1..].trim_start_matches('.');
    }
}

fn survey_field(path: &str) -> Option<&'static FieldLabel> {
    let find = |fields: &'static [FieldLabel], key: &str| fields.iter().find(|f| f.key == key);
    if let Some(rest) = path.strip_prefix("straw[") {
        let (index, after) = rest.split_once(']')?;
        index.parse::<usize>().ok()?;
        return match after.strip_prefix('.') {
            None if after.is_empty() => Some(&STRAW_ROW),
            Some(key) => find(STRAW, key),
            None => None,
        };
    }
    match path.split_once('.') {
        None => find(IDENTITY, path),
        Some(("film", key)) => find(FILM, key),
        Some(("pesticide_packaging", key)) => find(PESTICIDE_PACKAGING, key),
        Some(("yak_dung", key)) => find(YAK_DUNG, key),
        Some(("location", key)) => find(LOCATION, key),
        Some(_) => None,
    }
}

/// A field named for a person: its label and unit, "地膜使用量(公斤)" / "Film used (kg)",
/// or "this field" where the path names none the form shows.
#[derive(Debug, Clone, Copy)]
pub struct Named(Option<&'static FieldLabel>);

impl Named {
    /// The field at wire path `path`.
    pub fn of(path: &str) -> Named {
        Named(field_label(path))
    }

    /// The label, if the path names a field.
    pub fn label(self) -> Option<&'static FieldLabel> {
        self.0
    }

    /// What the field holds; text when unknown.
    pub fn kind(self) -> FieldKind {
        self.0.map_or(FieldKind::Text, |f| f.kind)
    }

    /// Chinese label with its unit: 地膜使用量(公斤).
    pub fn zh(self) -> String {
        self.words(true, None)
    }

    /// English label with its unit: Film used (kg).
    pub fn en(self) -> String {
        self.words(false, None)
    }

    /// Chinese label with a value in its unit: 地膜回收量(12 公斤).
    pub fn zh_with(self, value: impl std::fmt::Display) -> String {
        self.words(true, Some(&value))
    }

    /// English label with a value in its unit: Film recovered (12 kg).
    pub fn en_with(self, value: impl std::fmt::Display) -> String {
        self.words(false, Some(&value))
    }

    /// The label, then in brackets the value and the unit, either of them, or nothing.
    fn words(self, zh: bool, value: Option<&dyn std::fmt::Display>) -> String {
        let (label, unit) = match (self.0, zh) {
            (Some(f), true) => (f.zh, f.unit.map(|u| u.zh)),
            (Some(f), false) => (f.en, f.unit.map(|u| u.en)),
            (None, true) => ("该项", None),
            (None, false) => ("this field", None),
        };
        let (open, close) = if zh { ("(", ")") } else { (" (", ")") };
        match (value, unit) {
            (None, None) => label.to_owned(),
            (None, Some(unit)) => format!("{label}{open}{unit}{close}"),
            (Some(value), None) => format!("{label}{open}{value}{close}"),
            (Some(value), Some(unit)) => format!("{label}{open}{value} {unit}{close}"),
        }
    }

    /// The choices of a choice field, by their labels, joined for a sentence.
    pub fn choices(self, zh: bool) -> String {
        let choices = self.0.map_or(&[][..], |f| f.choices);
        let names: Vec<&str> = choices
            .iter()
            .map(|(_, name_zh, name_en)| if zh { *name_zh } else { *name_en })
            .collect();
        names.join(if zh { "、" } else { ", " })
    }
}

/// What in a message a technician or reviewer could not read: wire paths (a snake_case
/// identifier, a dotted path such as `film.used_kg`, anything in backquotes) and Rust or
/// serde type names (`f64`, `string`, `invalid type`). The tests of every message a
/// person sees, here and in the server, check with it; empty when the text is readable.
pub fn unreadable_words(text: &str) -> Vec<String> {
    const TYPE_WORDS: [&str; 15] = [
        "f64", "f32", "i64", "i32", "u64", "u32", "usize", "string", "str", "struct", "enum",
        "sequence", "map", "option", "bool",
    ];
    let mut found = Vec::new();
    if text.contains("invalid type") || text.contains("expected ") {
        found.push("serde's wording".to_owned());
    }
    let words = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '`'))
        .map(|w| w.trim_matches('.'));
    for word in words.filter(|w| !w.is_empty()) {
        let lower = word.to_ascii_lowercase();
        let dotted = word.split('.').collect::<Vec<_>>().windows(2).any(|pair| {
            pair.iter()
                .all(|p| p.starts_with(|c: char| c.is_ascii_alphabetic()))
        });
        // A lone `_` is a character named ("letters, digits, - _ ."), not an identifier.
        let snake = word.contains('_') && word.contains(|c: char| c.is_ascii_alphanumeric());
        if snake || word.contains('`') || dotted || TYPE_WORDS.contains(&lower.as_str()) {
            found.push(word.to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readability_check_catches_paths_and_type_names() {
        for text in [
            "invalid type: string \"abc\", expected f64",
            "请填写秸秆量 straw_kg 或产量",
            "film.used_kg cannot be negative",
            "needs a Option",
            "unknown variant `rice`",
        ] {
            assert!(!unreadable_words(text).is_empty(), "{text}");
        }
        for text in [
            "地膜回收量(12 公斤)不能大于地膜使用量(10 公斤)",
            "Film thickness 0.5 mm is outside 0.005–0.2 mm; check the unit",
            "Fertilizer (incl. returned to field) (kg): enter a number",
        ] {
            assert_eq!(unreadable_words(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn paths_find_their_labels() {
        for (path, zh, en) in [
            ("household", "农户名称或编号", "Household name or code"),
            ("film.used_kg", "地膜使用量(公斤)", "Film used (kg)"),
            ("straw[3].feed_kg", "饲料化(公斤)", "Feed (kg)"),
            ("location.lat", "纬度(°N)", "Latitude (°N)"),
            ("yak_dung.yak_head", "牦牛存栏(头)", "Yaks kept (head)"),
            (
                "surveys[2].film.recovered_kg",
                "地膜回收量(公斤)",
                "Film recovered (kg)",
            ),
            (
                "survey.household",
                "农户名称或编号",
                "Household name or code",
            ),
            ("yak_dung", "牦牛粪", "Yak dung"),
            (
                "straw[1].straw_count.kg_each",
                "每捆或每车重量(公斤)",
                "Weight of one bundle or cart-load (kg)",
            ),
            ("straw[0].straw_count", "秸秆计数", "Straw counted"),
        ] {
            let named = Named::of(path);
            assert_eq!(
                (named.zh().as_str(), named.en().as_str()),
                (zh, en),
                "{path}"
            );
        }
        for path in ["", "film.nothing", "straw[x].feed_kg", "base_version"] {
            assert!(field_label(path).is_none(), "{path}");
        }
    }

    /// The form's field table is where the labels are shown; the crate's copy must say
    /// the same, or a message would name a field differently from the form.
    #[test]
    fn labels_are_the_forms_labels() {
        let form = include_str!("../../web/shared/fields.js");
        let tables = [
            (IDENTITY, "top"),
            (FILM, "film"),
            (PESTICIDE_PACKAGING, "pesticide_packaging"),
            (STRAW, "straw"),
            (YAK_DUNG, "yak_dung"),
        ];
        for (fields, section) in tables {
            for f in fields.iter().filter(|f| !matches!(f.kind, Id | Group)) {
                let entry = format!(r#"key: "{}", zh: "{}", en: "{}""#, f.key, f.zh, f.en);
                assert!(form.contains(&entry), "{section}: {entry} not in fields.js");
                for (value, zh, en) in f.choices {
                    let option = format!(r#"["{value}", "{zh}", "{en}"]"#);
                    assert!(
                        form.contains(&option),
                        "{section}: {option} not in fields.js"
                    );
                }
            }
        }
        for f in LOCATION {
            let entry = format!(
                r#"key: "location.{}", zh: "{}", en: "{}""#,
                f.key, f.zh, f.en
            );
            assert!(form.contains(&entry), "{entry} not in fields.js");
        }
    }
}
