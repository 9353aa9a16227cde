//! Problems found in a survey, each naming its field and saying what is wrong in Chinese
//! and English.
//!
//! One type serves the server's 422 bodies, the batch results and the phone's inline form
//! errors, so a technician reads the same sentence wherever the problem is caught.

use serde::{Deserialize, Serialize};

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
}

impl IssueCode {
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
/// message next to the right input.
pub(crate) fn from_json_error(err: serde_path_to_error::Error<serde_json::Error>) -> Issue {
    let at = err.path().to_string();
    let at = if at == "." { String::new() } else { at };
    let inner = err.inner();
    let detail = inner.to_string();
    let detail = strip_position(&detail);
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return Issue::error(
            at,
            IssueCode::InvalidJson,
            format!("请求内容不是有效的 JSON:{detail}"),
            format!("the body is not valid JSON: {detail}"),
        );
    }
    if let Some(field) = quoted_after(detail, "missing field ") {
        let path = join_path(&at, field);
        return Issue::error(
            path.clone(),
            IssueCode::MissingField,
            format!("缺少必填字段 {path}"),
            format!("required field {path} is missing"),
        );
    }
    if let Some(field) = quoted_after(detail, "unknown field ") {
        // serde_path_to_error already ends the path with the unknown key.
        let path = if at == field || at.ends_with(&format!(".{field}")) {
            at.clone()
        } else {
            join_path(&at, field)
        };
        return Issue::error(
            path.clone(),
            IssueCode::UnknownField,
            format!("未知字段 {path}(请检查拼写)"),
            format!("unknown field {path} (check the spelling)"),
        );
    }
    let shown = if at.is_empty() {
        "(root)".to_owned()
    } else {
        at.clone()
    };
    Issue::error(
        at,
        IssueCode::InvalidValue,
        format!("字段 {shown} 的值无效:{}", explain_zh(detail)),
        format!("field {shown} has an invalid value: {detail}"),
    )
}

/// Removes serde_json's " at line 1 column 57" suffix, which means nothing to a person
/// filling a form.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(index) => &message[..index],
        None => message,
    }
}

/// The name in backquotes after `prefix`, as serde writes field names.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    let rest = rest.strip_prefix('`')?;
    rest.split('`').next()
}

/// A Chinese gloss of the common serde complaints; the English original follows in
/// `message_en`.
fn explain_zh(detail: &str) -> String {
    let expected = detail
        .split("expected ")
        .nth(1)
        .map(str::trim)
        .unwrap_or_default();
    let kind = if detail.starts_with("unknown variant") {
        format!("不是允许的取值,应为 {expected} 之一")
    } else if expected.contains("i64") || expected.contains("integer") {
        "应为整数".to_owned()
    } else if expected.contains("f64") {
        "应为数字".to_owned()
    } else if expected.contains("string") {
        "应为文本".to_owned()
    } else {
        "格式不正确".to_owned()
    };
    format!("{kind}({detail})")
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
        assert!(
            issue.message_zh.contains("应为数字"),
            "{}",
            issue.message_zh
        );
    }

    #[test]
    fn unknown_crop_lists_the_choices() {
        let issue = issue_for(&format!(
            r#"{{{BASE},"straw":[{{"crop":"rice","straw_kg":1}}]}}"#
        ));
        assert_eq!(issue.path, "straw[0].crop");
        assert!(
            issue.message_en.contains("highland_barley"),
            "{}",
            issue.message_en
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
}
