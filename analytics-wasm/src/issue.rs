//! Problems found in a survey, each naming its field and saying what is wrong in Chinese
//! and English.
//!
//! One type serves the server's 422 bodies, the batch results and the phone's inline form
//! errors, so a technician reads the same sentence wherever the problem is caught.

use serde::{Deserialize, Serialize};

use crate::labels::{FieldKind, Named};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The survey is rejected.
    Error,
    /// The survey is stored; the warning is stored with it and shown to reviewers.
    Warning,
}

/// Stable machine codes that clients can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueCode {
    /// The body is not valid JSON.
    InvalidJson,
    /// A required field is absent.
    MissingField,
    /// A field the wire format does not know.
    UnknownField,
    /// A value of the wrong JSON type or not one of the allowed values.
    InvalidValue,
    /// A required text field is empty.
    Required,
    /// The survey has none of the four sections.
    NoSection,
    /// An amount below zero.
    Negative,
    /// NaN or infinity.
    NotFinite,
    /// A value outside its possible range (latitude beyond 90°, weight of zero, ...).
    OutOfRange,
    /// A part exceeds its whole (recovered > used, uses > produced).
    ExceedsWhole,
    /// The county code is not in the region table.
    UnknownCounty,
    /// The code names a prefecture or province, not a county.
    NotACounty,
    /// The survey date lies in the future.
    FutureDate,
    /// The survey date is implausibly old.
    DateTooOld,
    /// The same crop appears twice in the straw section.
    DuplicateCrop,
    /// Neither a measured amount nor what is needed to estimate it.
    CannotEstimate,
    /// More packages returned than used (returns of earlier years): accepted, flagged.
    ReturnedExceedsUsed,
    /// Yak dung used is more than twice what the herd produces by the herd-size
    /// estimate (the produced amount not measured).
    DungUsedBeyondHerd,
    /// Film use per mu far outside 2–10 kg/mu.
    ImplausibleFilmPerMu,
    /// Film thickness below 0.005 mm or above 0.2 mm.
    ImplausibleThickness,
    /// GPS point outside the county's rough bounding box.
    OutsideCounty,
    /// GPS point outside China.
    OutsideChina,
    /// Township or village not given.
    MissingPlace,
    /// A crop's straw both weighed and counted: one of the two must go.
    ConflictingMeasures,
    /// The weight of one bundle or cart-load outside the usual range for the unit.
    ImplausibleUnitWeight,
    /// A count of bundles or cart-loads that is not in whole or half units.
    ImplausibleCount,
}

impl IssueCode {
    /// Every code, so that a test can word each one (a test checks the list against the
    /// variants serde knows).
    pub const ALL: [IssueCode; 26] = [
        IssueCode::InvalidJson,
        IssueCode::MissingField,
        IssueCode::UnknownField,
        IssueCode::InvalidValue,
        IssueCode::Required,
        IssueCode::NoSection,
        IssueCode::Negative,
        IssueCode::NotFinite,
        IssueCode::OutOfRange,
        IssueCode::ExceedsWhole,
        IssueCode::UnknownCounty,
        IssueCode::NotACounty,
        IssueCode::FutureDate,
        IssueCode::DateTooOld,
        IssueCode::DuplicateCrop,
        IssueCode::CannotEstimate,
        IssueCode::ReturnedExceedsUsed,
        IssueCode::DungUsedBeyondHerd,
        IssueCode::ImplausibleFilmPerMu,
        IssueCode::ImplausibleThickness,
        IssueCode::OutsideCounty,
        IssueCode::OutsideChina,
        IssueCode::MissingPlace,
        IssueCode::ConflictingMeasures,
        IssueCode::ImplausibleUnitWeight,
        IssueCode::ImplausibleCount,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::InvalidJson => "invalid_json",
            IssueCode::MissingField => "missing_field",
            IssueCode::UnknownField => "unknown_field",
            IssueCode::InvalidValue => "invalid_value",
            IssueCode::Required => "required",
            IssueCode::NoSection => "no_section",
            IssueCode::Negative => "negative",
            IssueCode::NotFinite => "not_finite",
            IssueCode::OutOfRange => "out_of_range",
            IssueCode::ExceedsWhole => "exceeds_whole",
            IssueCode::UnknownCounty => "unknown_county",
            IssueCode::NotACounty => "not_a_county",
            IssueCode::FutureDate => "future_date",
            IssueCode::DateTooOld => "date_too_old",
            IssueCode::DuplicateCrop => "duplicate_crop",
            IssueCode::CannotEstimate => "cannot_estimate",
            IssueCode::ReturnedExceedsUsed => "returned_exceeds_used",
            IssueCode::DungUsedBeyondHerd => "dung_used_beyond_herd",
            IssueCode::ImplausibleFilmPerMu => "implausible_film_per_mu",
            IssueCode::ImplausibleThickness => "implausible_thickness",
            IssueCode::OutsideCounty => "outside_county",
            IssueCode::OutsideChina => "outside_china",
            IssueCode::MissingPlace => "missing_place",
            IssueCode::ConflictingMeasures => "conflicting_measures",
            IssueCode::ImplausibleUnitWeight => "implausible_unit_weight",
            IssueCode::ImplausibleCount => "implausible_count",
        }
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// Dotted path of the field, e.g. `film.recovered_kg` or `straw[0].crop`; empty for
    /// the survey as a whole.
    pub path: String,
    /// Machine code.
    pub code: IssueCode,
    /// Error (rejects the survey) or warning (stored with it).
    pub severity: Severity,
    /// What is wrong, in Chinese.
    pub message_zh: String,
    /// What is wrong, in English.
    pub message_en: String,
}

impl Issue {
    /// An error: the survey is rejected.
    pub fn error(path: impl Into<String>, code: IssueCode, zh: String, en: String) -> Issue {
        Issue {
            path: path.into(),
            code,
            severity: Severity::Error,
            message_zh: zh,
            message_en: en,
        }
    }

    /// A warning: the survey is stored and the warning with it.
    pub fn warning(path: impl Into<String>, code: IssueCode, zh: String, en: String) -> Issue {
        Issue {
            severity: Severity::Warning,
            ..Issue::error(path, code, zh, en)
        }
    }

    /// Whether this issue rejects the survey.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The same issue with its path placed under `prefix` (used for batch items).
    pub fn under(mut self, prefix: &str) -> Issue {
        self.path = join_path(prefix, &self.path);
        self
    }
}

fn join_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
        (false, false) => format!("{prefix}.{path}"),
    }
}

/// Turns a JSON decoding failure into an issue that names the field.
///
/// serde reports a missing or unknown field at the enclosing object, with the field's
/// name inside the message; the name is moved into the path so that a form can put the
/// message next to the right input. The message names the field by the form's label and
/// says what to enter; serde's own wording ("invalid type: string, expected f64") is
/// for programmers and stays out of it.
pub(crate) fn from_json_error(err: serde_path_to_error::Error<serde_json::Error>) -> Issue {
    let at = err.path().to_string();
    let at = if at == "." { String::new() } else { at };
    let inner = err.inner();
    let detail = inner.to_string();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return not_json(inner.is_eof());
    }
    if let Some(field) = quoted_after(&detail, "missing field ") {
        return missing(join_path(&at, field));
    }
    if let Some(field) = quoted_after(&detail, "unknown field ") {
        // serde_path_to_error already ends the path with the unknown key.
        let path = if at == field || at.ends_with(&format!(".{field}")) {
            at.clone()
        } else {
            join_path(&at, field)
        };
        return Issue::error(
            path,
            IssueCode::UnknownField,
            "调查表中没有这一项(请检查拼写)".to_owned(),
            "the survey form has no such field (check the spelling)".to_owned(),
        );
    }
    invalid(at)
}

/// The body is not JSON at all, or ends too early (`truncated`).
pub(crate) fn not_json(truncated: bool) -> Issue {
    let (zh, en) = if truncated {
        (
            "请求内容不完整,不是有效的 JSON",
            "the body ends too early: it is not valid JSON",
        )
    } else {
        ("请求内容不是有效的 JSON", "the body is not valid JSON")
    };
    Issue::error("", IssueCode::InvalidJson, zh.to_owned(), en.to_owned())
}

/// A required field left out: asks for it, and for an amount says that 0 is how "none"
/// is written (a blank is never taken for 0).
fn missing(path: String) -> Issue {
    let named = Named::of(&path);
    let (zh, en) = match (named.label(), named.kind()) {
        (None, _) | (_, FieldKind::Group) => (
            "缺少必填的内容".to_owned(),
            "a required value is missing".to_owned(),
        ),
        // A weight of one bundle (`Positive`) cannot be 0: it is only asked for, below.
        (_, FieldKind::Number | FieldKind::Count) => (
            format!("请填写{};没有时填 0", named.zh()),
            format!("enter {}; enter 0 if there is none", named.en()),
        ),
        _ => (
            format!("请填写{}", named.zh()),
            format!("enter {}", named.en()),
        ),
    };
    Issue::error(path, IssueCode::MissingField, zh, en)
}

/// A value of the wrong kind, or not one of the choices: says what the field takes.
fn invalid(path: String) -> Issue {
    let named = Named::of(&path);
    let (zh, en) = match named.kind() {
        _ if named.label().is_none() => (
            "取值的格式不正确".to_owned(),
            "the value is not in the expected form".to_owned(),
        ),
        FieldKind::Number | FieldKind::Positive | FieldKind::Coordinate => (
            format!("{}:请填写数字", named.zh()),
            format!("{}: enter a number", named.en()),
        ),
        FieldKind::Count => (
            format!("{}:请填写整数", named.zh()),
            format!("{}: enter a whole number", named.en()),
        ),
        FieldKind::Date => (
            format!("{}:请填写日期,如 2025-09-14", named.zh()),
            format!("{}: enter a date such as 2025-09-14", named.en()),
        ),
        FieldKind::Choice => (
            format!("{}:请从以下选项中选择:{}", named.zh(), named.choices(true)),
            format!("{}: choose one of {}", named.en(), named.choices(false)),
        ),
        FieldKind::Text => (
            format!("{}:请填写文字", named.zh()),
            format!("{}: enter text", named.en()),
        ),
        FieldKind::Id => (
            format!("{}的格式不正确", named.zh()),
            format!("the {} is not in the expected form", named.en()),
        ),
        FieldKind::Group => (
            format!("{}部分的格式不正确", named.zh()),
            format!("the {} part is not in the expected form", named.en()),
        ),
    };
    Issue::error(path, IssueCode::InvalidValue, zh, en)
}

/// The name in backquotes after `prefix`, as serde writes field names.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    let rest = rest.strip_prefix('`')?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::parse_survey;

    fn issue_for(json: &str) -> Issue {
        match parse_survey(json) {
            Ok(_) => panic!("expected a decoding problem for {json}"),
            Err(issue) => issue,
        }
    }

    const BASE: &str = r#""id":"8d6f1c1e-2b9a-4c1e-9a57-0b8f3f1d2c11","county_code":"542523","household":"HH-1","surveyed_on":"2025-09-14","technician":"t""#;

    #[test]
    fn missing_field_is_named_in_the_path() {
        let issue = issue_for(r#"{"id":"8d6f1c1e-2b9a-4c1e-9a57-0b8f3f1d2c11"}"#);
        assert_eq!(issue.code, IssueCode::MissingField);
        assert_eq!(issue.path, "county_code");
    }

    #[test]
    fn nested_missing_field_has_the_full_path() {
        let issue = issue_for(&format!(r#"{{{BASE},"film":{{"used_kg":3}}}}"#));
        assert_eq!(issue.code, IssueCode::MissingField);
        assert_eq!(issue.path, "film.recovered_kg");
    }

    #[test]
    fn unknown_field_is_named() {
        let issue = issue_for(&format!(
            r#"{{{BASE},"film":{{"used_kg":3,"recovered_kg":1,"recoverd_kg":1}}}}"#
        ));
        assert_eq!(issue.code, IssueCode::UnknownField);
        assert_eq!(issue.path, "film.recoverd_kg");
    }

    #[test]
    fn wrong_type_points_at_the_field() {
        let issue = issue_for(&format!(
            r#"{{{BASE},"straw":[{{"crop":"highland_barley","straw_kg":"lots"}}]}}"#
        ));
        assert_eq!(issue.code, IssueCode::InvalidValue);
        assert_eq!(issue.path, "straw[0].straw_kg");
        assert_eq!(issue.message_zh, "可收集秸秆量(实测)(公斤):请填写数字");
        assert_eq!(
            issue.message_en,
            "Collectable straw (measured) (kg): enter a number"
        );
    }

    #[test]
    fn unknown_crop_lists_the_choices() {
        let issue = issue_for(&format!(
            r#"{{{BASE},"straw":[{{"crop":"rice","straw_kg":1}}]}}"#
        ));
        assert_eq!(issue.path, "straw[0].crop");
        assert!(
            issue.message_en.contains("highland barley, spring wheat"),
            "{}",
            issue.message_en
        );
        assert!(
            issue.message_zh.contains("青稞、春小麦"),
            "{}",
            issue.message_zh
        );
    }

    #[test]
    fn syntax_error_is_invalid_json() {
        let issue = issue_for(&format!(r#"{{{BASE},"film":{{"used_kg":NaN}}}}"#));
        assert_eq!(issue.code, IssueCode::InvalidJson);
        assert!(!issue.message_en.contains("line 1"), "{}", issue.message_en);
    }

    #[test]
    fn batch_prefix_joins_paths() {
        let issue = Issue::error(
            "film.used_kg",
            IssueCode::Negative,
            String::new(),
            String::new(),
        );
        assert_eq!(issue.under("surveys[3]").path, "surveys[3].film.used_kg");
        let whole = Issue::error("", IssueCode::NoSection, String::new(), String::new());
        assert_eq!(whole.under("surveys[3]").path, "surveys[3]");
    }

    #[test]
    fn all_lists_every_code_serde_knows() {
        let Err(err) = serde_json::from_str::<IssueCode>(r#""?""#) else {
            panic!("? is no code")
        };
        let text = err.to_string();
        let known: Vec<&str> = text
            .split("expected one of ")
            .nth(1)
            .unwrap_or_default()
            .split(", ")
            .map(|name| name.trim_matches(|c: char| c == '`' || !c.is_ascii_graphic()))
            .map(|name| name.split('`').next().unwrap_or_default())
            .collect();
        let listed: Vec<&str> = IssueCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, known, "{text}");
        for code in IssueCode::ALL {
            assert_eq!(serde_json::to_value(code).ok(), Some(code.as_str().into()));
        }
    }

    #[test]
    fn a_required_amount_left_out_asks_for_0_when_there_is_none() {
        let issue = issue_for(&format!(r#"{{{BASE},"film":{{"used_kg":3}}}}"#));
        assert_eq!(issue.message_zh, "请填写地膜回收量(公斤);没有时填 0");
        assert_eq!(
            issue.message_en,
            "enter Film recovered (kg); enter 0 if there is none"
        );
    }
}
