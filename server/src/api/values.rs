//! Parameters that accept only listed values, as the document describes them.
//!
//! The lists are the domain's own (the analytics crate's `Indicator`, `CoefficientKind`,
//! `Crop`), and the region codes are the rows of this server's region table, filled in
//! when the document is served (`document::finish`). The wrappers parse any string:
//! each handler still checks the value against the domain and answers with its stable
//! code and a bilingual message naming the field (`unknown_indicator`, `invalid_value`,
//! `unknown_region`), so the document tells clients which values there are without
//! changing what a wrong one gets.

use std::borrow::Cow;
use std::marker::PhantomData;

use agriwaste_analytics::coefficients::CoefficientKind;
use agriwaste_analytics::indicators::Indicator;
use agriwaste_analytics::review::ReviewState;
use agriwaste_analytics::targets::MANURE_KEY;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use serde_json::Value;

/// The format marking a region code (county, prefecture or province) in the generated
/// document, replaced by the enumeration of the codes when it is served.
pub const REGION_CODE_FORMAT: &str = "x-region-code";
/// The same, for a region code or `national`.
pub const REGION_OR_NATIONAL_FORMAT: &str = "x-region-or-national";

/// A list of keys: the schema name and the values.
pub trait Keys: Send + Sync + 'static {
    /// The schema's name in the document.
    const NAME: &'static str;
    /// What the keys are.
    const DESCRIPTION: &'static str;
    /// Every key, in the domain's order.
    fn keys() -> Vec<&'static str>;
}

/// A parameter that is one of `K`'s keys (checked by the handler).
pub struct Listed<K>(pub String, PhantomData<K>);

impl<K> std::fmt::Debug for Listed<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<K> Listed<K> {
    /// The value as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as sent.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<K: Keys> Type for Listed<K> {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        K::NAME.into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(K::NAME.to_owned())
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<Self, _>(K::NAME.to_owned(), |_| MetaSchema {
            description: Some(K::DESCRIPTION),
            enum_items: K::keys().into_iter().map(Value::from).collect(),
            ..MetaSchema::new("string")
        });
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl<K: Keys> ParseFromParameter for Listed<K> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(Listed(value.to_owned(), PhantomData))
    }
}

impl<K: Keys> ParseFromJSON for Listed<K> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Ok(Listed(text, PhantomData)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl<K: Keys> ToJSON for Listed<K> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

/// The review decisions: the states a reviewer may set.
pub struct DecisionKeys;

impl Keys for DecisionKeys {
    const NAME: &'static str = "ReviewDecision";
    const DESCRIPTION: &'static str = "A review decision: `approved`, `has_issues` or `rejected`.";
    fn keys() -> Vec<&'static str> {
        ReviewState::ALL
            .into_iter()
            .filter(|s| s.is_decision())
            .map(ReviewState::key)
            .collect()
    }
}

/// The indicators (`film_recovery_rate`, ...).
pub struct IndicatorKeys;

impl Keys for IndicatorKeys {
    const NAME: &'static str = "IndicatorKey";
    const DESCRIPTION: &'static str = "An indicator's key.";
    fn keys() -> Vec<&'static str> {
        Indicator::ALL.iter().map(|i| i.key()).collect()
    }
}

/// What a target is set for: the indicators, and the livestock-manure rate that
/// stands in for yak dung.
pub struct TargetIndicatorKeys;

impl Keys for TargetIndicatorKeys {
    const NAME: &'static str = "TargetIndicatorKey";
    const DESCRIPTION: &'static str =
        "An indicator's key, or `manure_utilization_rate` (the national livestock-manure target).";
    fn keys() -> Vec<&'static str> {
        let mut keys = IndicatorKeys::keys();
        keys.push(MANURE_KEY);
        keys
    }
}

/// The kinds of coefficient.
pub struct CoefficientKinds;

impl Keys for CoefficientKinds {
    const NAME: &'static str = "CoefficientKind";
    const DESCRIPTION: &'static str = "What a coefficient is for.";
    fn keys() -> Vec<&'static str> {
        CoefficientKind::ALL.map(CoefficientKind::key).to_vec()
    }
}

/// The keys any kind of coefficient takes (a crop for the straw-grain ratio, else the
/// kind's one key); which go with which kind is `CoefficientKind::keys`.
pub struct CoefficientKeys;

impl Keys for CoefficientKeys {
    const NAME: &'static str = "CoefficientKey";
    const DESCRIPTION: &'static str = "A crop's key for `straw_grain_ratio`; `all` for \
        `straw_collectable_coefficient`, `yak` for `yak_dung_per_head_day`, `polyethylene` \
        for `film_min_thickness`.";
    fn keys() -> Vec<&'static str> {
        let mut keys = Vec::new();
        for kind in CoefficientKind::ALL {
            for key in kind.keys() {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        keys
    }
}

/// The charts `/api/v1/charts/{file}` draws: each kind as SVG or PNG.
pub struct ChartFiles;

impl Keys for ChartFiles {
    const NAME: &'static str = "ChartFile";
    const DESCRIPTION: &'static str = "A chart's kind and format.";
    fn keys() -> Vec<&'static str> {
        vec![
            "indicator_by_region.svg",
            "indicator_by_region.png",
            "trend.svg",
            "trend.png",
            "straw_uses.svg",
            "straw_uses.png",
            "map.svg",
            "map.png",
        ]
    }
}

/// A region code of this server's region table.
pub struct RegionCode(pub String);

/// A region code, or `national`.
pub struct RegionOrNational(pub String);

macro_rules! region_type {
    ($ty:ident, $format:expr, $description:expr) => {
        impl Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = String;
            type RawElementValueType = String;

            fn name() -> Cow<'static, str> {
                "string".into()
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new(MetaSchema {
                    format: Some($format),
                    description: Some($description),
                    ..MetaSchema::new("string")
                }))
            }

            fn as_raw_value(&self) -> Option<&String> {
                Some(&self.0)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
                Box::new(std::iter::once(&self.0))
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }

        impl ParseFromParameter for $ty {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                Ok($ty(value.to_owned()))
            }
        }
    };
}

region_type!(
    RegionCode,
    REGION_CODE_FORMAT,
    "A region code (county, prefecture or province; see `/api/v1/regions`)."
);
region_type!(
    RegionOrNational,
    REGION_OR_NATIONAL_FORMAT,
    "A region code (county, prefecture or province; see `/api/v1/regions`) or `national`."
);

/// A number the handler accepts only within `MIN..=MAX` (it answers anything else with
/// its own code and message naming the field); the document says so with `minimum` and
/// `maximum`.
pub struct InRange<T, const MIN: i64, const MAX: i64>(pub T);

impl<T: Type, const MIN: i64, const MAX: i64> Type for InRange<T, MIN, MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("{}_{MIN}_{MAX}", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = match T::schema_ref() {
            MetaSchemaRef::Inline(schema) => *schema,
            MetaSchemaRef::Reference(_) => MetaSchema::new("integer"),
        };
        schema.minimum = Some(MIN as f64);
        schema.maximum = Some(MAX as f64);
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_raw_value()
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        self.0.raw_element_iter()
    }
}

impl<T: ParseFromParameter, const MIN: i64, const MAX: i64> ParseFromParameter
    for InRange<T, MIN, MAX>
{
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        T::parse_from_parameter(value)
            .map(InRange)
            .map_err(ParseError::propagate)
    }
}

/// What a text field accepts: its length in characters and its form. The handler checks
/// the same rule with its own code and message; the document states it.
pub trait TextRule: Send + Sync + 'static {
    /// Fewest characters.
    const MIN: Option<usize> = None;
    /// Most characters.
    const MAX: Option<usize> = None;
    /// The form, as an ECMA-262 pattern.
    const PATTERN: Option<&'static str> = None;
    /// A format marker `document::finish` replaces (region codes).
    const FORMAT: Option<&'static str> = None;
}

/// Text that holds something besides white space (the handler trims it), without U+0000.
pub const NOT_BLANK: &str = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$";

/// A text field or parameter following `R`. Reads only JSON strings (poem-openapi's own
/// `String` also takes numbers and booleans, which the document does not allow).
pub struct Text<R>(pub String, PhantomData<R>);

impl<R> Text<R> {
    /// The text as sent.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<R> std::ops::Deref for Text<R> {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

impl<R> std::fmt::Debug for Text<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<R: TextRule> Type for Text<R> {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            min_length: R::MIN,
            max_length: R::MAX,
            pattern: R::PATTERN.map(str::to_owned),
            format: R::FORMAT,
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl<R: TextRule> ParseFromJSON for Text<R> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Ok(Text(text, PhantomData)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl<R: TextRule> ToJSON for Text<R> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

impl<R: TextRule> ParseFromParameter for Text<R> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(Text(value.to_owned(), PhantomData))
    }
}

/// Required text of at most `MAX` characters.
pub struct Required<const MAX: usize>;

impl<const MAX: usize> TextRule for Required<MAX> {
    const MIN: Option<usize> = Some(1);
    const MAX: Option<usize> = Some(MAX);
    const PATTERN: Option<&'static str> = Some(NOT_BLANK);
}

/// Required text of any length.
pub struct RequiredText;

impl TextRule for RequiredText {
    const MIN: Option<usize> = Some(1);
    const PATTERN: Option<&'static str> = Some(NOT_BLANK);
}

/// Optional text of at most `MAX` characters.
pub struct AtMost<const MAX: usize>;

impl<const MAX: usize> TextRule for AtMost<MAX> {
    const MAX: Option<usize> = Some(MAX);
}

/// A county code of this server's region table.
pub struct County;

impl TextRule for County {
    const FORMAT: Option<&'static str> = Some(COUNTY_CODE_FORMAT);
}

/// A region code of this server's region table.
pub struct Region;

impl TextRule for Region {
    const FORMAT: Option<&'static str> = Some(REGION_CODE_FORMAT);
}

/// The format marking a county code, replaced by the enumeration of the counties.
pub const COUNTY_CODE_FORMAT: &str = "x-county-code";

/// At least `MIN` distinct county codes (the handler checks the same, naming the field).
pub struct Counties<const MIN: usize>(pub Vec<String>);

impl<const MIN: usize> std::fmt::Debug for Counties<MIN> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<const MIN: usize> Type for Counties<MIN> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Vec<String>;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        "CountyCodes".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            items: Some(Box::new(Text::<County>::schema_ref())),
            min_items: Some(MIN),
            unique_items: Some(true),
            ..MetaSchema::new("array")
        }))
    }

    fn as_raw_value(&self) -> Option<&Vec<String>> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(self.0.iter())
    }
}

impl<const MIN: usize> ParseFromJSON for Counties<MIN> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(code) => Ok(code),
                    other => Err(ParseError::expected_type(other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Counties),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl<const MIN: usize> ToJSON for Counties<MIN> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0.clone()))
    }
}

/// A group's code: lower-case letters, digits and hyphens, at most 64.
pub struct GroupCode;

impl TextRule for GroupCode {
    const MIN: Option<usize> = Some(1);
    const MAX: Option<usize> = Some(64);
    const PATTERN: Option<&'static str> = Some("^[a-z0-9-]+$");
}

impl<R> Default for Text<R> {
    fn default() -> Self {
        Text(String::new(), PhantomData)
    }
}

/// A share from 0 to 1 (0.9 for 90 %); the handler refuses any other number with its
/// own code, and the document says which numbers there are.
#[derive(Debug, Clone, Copy)]
pub struct Fraction(pub f64);

impl Type for Fraction {
    const IS_REQUIRED: bool = true;
    type RawValueType = f64;
    type RawElementValueType = f64;

    fn name() -> Cow<'static, str> {
        "number".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            format: Some("double"),
            minimum: Some(0.0),
            maximum: Some(1.0),
            ..MetaSchema::new("number")
        }))
    }

    fn as_raw_value(&self) -> Option<&f64> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a f64> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl ParseFromJSON for Fraction {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::Number(n)) => n
                .as_f64()
                .map(Fraction)
                .ok_or_else(|| ParseError::custom("not a number")),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for Fraction {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

/// An audit page cursor: the entry number the next page starts before (empty: the first
/// page).
pub struct AuditCursor;

impl TextRule for AuditCursor {
    const PATTERN: Option<&'static str> = Some("^(-?[0-9]{1,18})?$");
}

/// A sign-in name: 3–64 letters, digits, `-`, `_` or `.` (`auth::account::Username`).
pub struct UsernameRule;

impl TextRule for UsernameRule {
    const MIN: Option<usize> = Some(*crate::auth::account::USERNAME_CHARS.start());
    const MAX: Option<usize> = Some(*crate::auth::account::USERNAME_CHARS.end());
    const PATTERN: Option<&'static str> = Some("^[A-Za-z0-9._-]+$");
}

/// A password someone sets: at least `MIN_PASSWORD_CHARS` characters.
pub struct PasswordRule;

impl TextRule for PasswordRule {
    const MIN: Option<usize> = Some(crate::auth::account::MIN_PASSWORD_CHARS);
}
