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
use agriwaste_analytics::targets::MANURE_KEY;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromParameter, ParseResult, Type};
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
