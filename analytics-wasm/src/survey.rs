//! The farm-level survey: one household visited in one survey round.
//!
//! These types *are* the wire format. Phones, the web form, the server and API consumers
//! all exchange exactly this JSON, so field names are fixed and carry their units
//! (`used_kg`, `area_mu`, `thickness_mm`). Unknown fields are rejected rather than dropped:
//! a misspelt `recoverd_kg` silently ignored would be data lost in the field.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One survey of one household in one survey round, with up to four sections.
///
/// Every section is optional, but a survey must carry at least one (see
/// [`crate::validation`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    /// Client-generated identifier. Retrying with the same id is how a phone on a bad
    /// connection avoids creating duplicates.
    pub id: Uuid,
    /// County-level division code (统计用区划代码), e.g. `542523` for 噶尔县.
    pub county_code: String,
    /// Township (乡镇), free text.
    #[serde(default)]
    pub township: String,
    /// Village (村), free text.
    #[serde(default)]
    pub village: String,
    /// Household name or code; identifies the farm or herder within the village.
    pub household: String,
    /// Date of the visit.
    pub surveyed_on: NaiveDate,
    /// Who filled the survey.
    pub technician: String,
    /// Where the survey was taken, when the phone had a fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Sampling weight: how many households of the population this one stands for.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// Mulch film (地膜) section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub film: Option<FilmSection>,
    /// Pesticide packaging waste (农药包装废弃物) section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pesticide_packaging: Option<PesticidePackagingSection>,
    /// Crop straw (秸秆), one entry per crop grown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub straw: Vec<StrawCrop>,
    /// Yak dung (牦牛粪) section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yak_dung: Option<YakDungSection>,
}

fn default_weight() -> f64 {
    1.0
}

impl Survey {
    /// The calendar year the survey belongs to; indicators are reported per year.
    pub fn year(&self) -> i32 {
        self.surveyed_on.year()
    }

    /// Whether the survey carries at least one of the four sections.
    pub fn has_any_section(&self) -> bool {
        self.film.is_some()
            || self.pesticide_packaging.is_some()
            || !self.straw.is_empty()
            || self.yak_dung.is_some()
    }

    /// The canonical JSON text of the survey: the form its content hash is taken of, so
    /// that two submissions with the same content compare equal whatever their key order
    /// or number spelling.
    pub fn canonical_json(&self) -> String {
        // Serializing plain structs of strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A GPS fix from the phone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    /// Latitude, degrees north (WGS 84).
    pub lat: f64,
    /// Longitude, degrees east (WGS 84).
    pub lon: f64,
    /// Horizontal accuracy reported by the device, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
}

/// Mulch film used and recovered by the household in the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilmSection {
    /// All film used, kg (degradable film included).
    pub used_kg: f64,
    /// Area covered with film, mu (亩; 1 mu = 1/15 ha).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_mu: Option<f64>,
    /// Film thickness, mm. GB 13735-2017 sets a 0.010 mm minimum for polyethylene film.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thickness_mm: Option<f64>,
    /// Degradable film used, kg; part of `used_kg`.
    #[serde(default)]
    pub degradable_kg: f64,
    /// Film recovered, kg; part of `used_kg`.
    pub recovered_kg: f64,
    /// Where most of the used film went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_channel: Option<FilmRecoveryChannel>,
}

/// Where used film went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilmRecoveryChannel {
    /// Delivered to a recovery point (回收网点).
    RecoveryPoint,
    /// Exchanged at a 垃圾超市 ("waste supermarket").
    WasteSupermarket,
    /// Reused for several seasons (一膜多茬).
    Reuse,
    /// Burned.
    Burned,
    /// Buried.
    Buried,
    /// Left in the field.
    LeftInField,
}

/// Pesticide packaging used and returned by the household in the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PesticidePackagingSection {
    /// Packages used (bottles, bags, cans, barrels).
    pub used_count: i64,
    /// Weight of the packages used, kg, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_kg: Option<f64>,
    /// Packages returned. May exceed `used_count` (returns of earlier years): flagged,
    /// not rejected.
    pub returned_count: i64,
    /// Weight of the packages returned, kg, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_kg: Option<f64>,
    /// Where the packages were returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_channel: Option<PackagingReturnChannel>,
}

/// Where pesticide packages were returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackagingReturnChannel {
    /// Returned to the seller (销售者).
    Seller,
    /// Delivered to a recovery point.
    RecoveryPoint,
    /// Exchanged at a 垃圾超市.
    WasteSupermarket,
    /// Disposed of improperly (burned, buried, thrown away).
    ImproperDisposal,
}

/// One crop's straw: output and how it was used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrawCrop {
    /// The crop.
    pub crop: Crop,
    /// Sown area, mu.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_mu: Option<f64>,
    /// Grain or product yield, kg. Used to estimate straw when `straw_kg` is null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yield_kg: Option<f64>,
    /// Collectable straw, kg, when weighed. Null: counted (`straw_count`), or else
    /// estimated from `yield_kg` with the straw-to-grain ratio (草谷比) and collectable
    /// coefficient (收集系数).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub straw_kg: Option<f64>,
    /// The straw counted in the field instead of weighed: bundles (捆) or cart-loads (车)
    /// times the weight of one, weighed with a hand scale. What a technician can measure
    /// where no 草谷比 is confirmed (青稞). Give it or `straw_kg`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub straw_count: Option<StrawCount>,
    /// Used as fertilizer, including returned to the field (肥料化), kg.
    #[serde(default)]
    pub fertilizer_kg: f64,
    /// Used as feed (饲料化), kg.
    #[serde(default)]
    pub feed_kg: f64,
    /// Used as substrate, e.g. for mushrooms (基料化), kg.
    #[serde(default)]
    pub substrate_kg: f64,
    /// Used as fuel (燃料化), kg.
    #[serde(default)]
    pub fuel_kg: f64,
    /// Used as industrial raw material (原料化), kg.
    #[serde(default)]
    pub raw_material_kg: f64,
    /// Burned in the open, kg.
    #[serde(default)]
    pub burned_kg: f64,
    /// Discarded, kg.
    #[serde(default)]
    pub discarded_kg: f64,
}

impl StrawCrop {
    /// A row for `crop` with nothing recorded yet (no amounts, every use 0).
    pub fn new(crop: Crop) -> StrawCrop {
        StrawCrop {
            crop,
            area_mu: None,
            yield_kg: None,
            straw_kg: None,
            straw_count: None,
            fertilizer_kg: 0.0,
            feed_kg: 0.0,
            substrate_kg: 0.0,
            fuel_kg: 0.0,
            raw_material_kg: 0.0,
            burned_kg: 0.0,
            discarded_kg: 0.0,
        }
    }

    /// Straw put to one of the five recognised uses (五料化), kg.
    pub fn utilized_kg(&self) -> f64 {
        self.fertilizer_kg + self.feed_kg + self.substrate_kg + self.fuel_kg + self.raw_material_kg
    }

    /// Every kg the household accounted for: the five uses, burned and discarded.
    pub fn accounted_kg(&self) -> f64 {
        self.utilized_kg() + self.burned_kg + self.discarded_kg
    }
}

/// Straw counted rather than weighed: `count` bundles or cart-loads of `kg_each` kg.
///
/// A technician without a platform scale counts the bundles (or the carts loaded) and
/// weighs one, or a few and takes their mean, with a hand scale. The amount is
/// `count × kg_each`, recorded as counted: neither weighed in full nor estimated from a
/// coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrawCount {
    /// What was counted.
    pub unit: StrawCountUnit,
    /// How many, in halves at the finest (half a cart-load happens; a bundle is whole).
    pub count: f64,
    /// The weight of one bundle or cart-load, kg: the mean of those weighed.
    pub kg_each: f64,
}

impl StrawCount {
    /// The straw counted, kg.
    pub fn total_kg(&self) -> f64 {
        self.count * self.kg_each
    }
}

/// What a technician counts straw in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrawCountUnit {
    /// A bundle (捆), tied by hand: a few kg to a few tens of kg.
    Bundle,
    /// A cart-load (车), a hand or animal cart, or a small tractor trailer: a few hundred kg.
    Cartload,
}

impl StrawCountUnit {
    /// Both units, in display order.
    pub const ALL: [StrawCountUnit; 2] = [StrawCountUnit::Bundle, StrawCountUnit::Cartload];

    /// The key on the wire.
    pub fn key(self) -> &'static str {
        match self {
            StrawCountUnit::Bundle => "bundle",
            StrawCountUnit::Cartload => "cartload",
        }
    }

    /// The unit in Chinese, as counted (捆, 车).
    pub fn name_zh(self) -> &'static str {
        match self {
            StrawCountUnit::Bundle => "捆",
            StrawCountUnit::Cartload => "车",
        }
    }

    /// The unit in English, plural (bundles, cart-loads).
    pub fn name_en(self) -> &'static str {
        match self {
            StrawCountUnit::Bundle => "bundles",
            StrawCountUnit::Cartload => "cart-loads",
        }
    }

    /// The weight of one that is usual, kg, inclusive; outside it the survey is flagged
    /// (a warning, never a rejection). A hand-tied bundle of cereal straw weighs a few kg
    /// to a few tens of kg; a cart-load, from a hand cart to a small tractor trailer, a
    /// hundred kg to about a tonne and a half.
    pub fn plausible_kg_each(self) -> (f64, f64) {
        match self {
            StrawCountUnit::Bundle => (2.0, 60.0),
            StrawCountUnit::Cartload => (100.0, 1500.0),
        }
    }
}

/// Crops with a straw-to-grain ratio in the coefficient table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Crop {
    /// 青稞.
    HighlandBarley,
    /// 春小麦.
    SpringWheat,
    /// 油菜.
    Rapeseed,
    /// 马铃薯.
    Potato,
    /// 玉米.
    Corn,
    /// 豌豆/蚕豆.
    PeaBroadBean,
    /// Any other crop; its straw must be measured (no coefficient to estimate it).
    Other,
}

impl Crop {
    /// Every crop, in display order.
    pub const ALL: [Crop; 7] = [
        Crop::HighlandBarley,
        Crop::SpringWheat,
        Crop::Rapeseed,
        Crop::Potato,
        Crop::Corn,
        Crop::PeaBroadBean,
        Crop::Other,
    ];

    /// The key used in the wire format and the coefficient table.
    pub fn key(self) -> &'static str {
        match self {
            Crop::HighlandBarley => "highland_barley",
            Crop::SpringWheat => "spring_wheat",
            Crop::Rapeseed => "rapeseed",
            Crop::Potato => "potato",
            Crop::Corn => "corn",
            Crop::PeaBroadBean => "pea_broad_bean",
            Crop::Other => "other",
        }
    }

    /// Parses a wire-format key.
    pub fn from_key(key: &str) -> Option<Crop> {
        Crop::ALL.into_iter().find(|crop| crop.key() == key)
    }

    /// Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Crop::HighlandBarley => "青稞",
            Crop::SpringWheat => "春小麦",
            Crop::Rapeseed => "油菜",
            Crop::Potato => "马铃薯",
            Crop::Corn => "玉米",
            Crop::PeaBroadBean => "豌豆/蚕豆",
            Crop::Other => "其他作物",
        }
    }

    /// English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Crop::HighlandBarley => "highland barley",
            Crop::SpringWheat => "spring wheat",
            Crop::Rapeseed => "rapeseed",
            Crop::Potato => "potato",
            Crop::Corn => "corn",
            Crop::PeaBroadBean => "pea / broad bean",
            Crop::Other => "other crop",
        }
    }
}

/// Yak dung produced and used by the household in the year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YakDungSection {
    /// Yaks kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yak_head: Option<i64>,
    /// Dung produced, kg, when measured. Null: estimated from `yak_head`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_kg: Option<f64>,
    /// Used as household fuel, kg.
    #[serde(default)]
    pub fuel_kg: f64,
    /// Used as organic fertilizer, kg.
    #[serde(default)]
    pub fertilizer_kg: f64,
    /// Other standard-meeting uses, kg.
    #[serde(default)]
    pub other_kg: f64,
    /// Discarded, kg.
    #[serde(default)]
    pub discarded_kg: f64,
}

impl YakDungSection {
    /// Dung put to a recognised use, kg.
    pub fn utilized_kg(&self) -> f64 {
        self.fuel_kg + self.fertilizer_kg + self.other_kg
    }

    /// Every kg the household accounted for.
    pub fn accounted_kg(&self) -> f64 {
        self.utilized_kg() + self.discarded_kg
    }
}

/// Parses a survey from JSON, naming the field at fault when the text does not fit the
/// wire format (wrong type, missing field, unknown field, bad syntax).
pub fn parse_survey(json: &str) -> Result<Survey, crate::Issue> {
    parse_json(json)
}

/// Parses any wire-format value from JSON text the way [`parse_survey`] does, so that
/// envelopes around surveys (a correction, a batch) report errors the same way.
pub fn parse_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, crate::Issue> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(crate::issue::from_json_error)?;
    // Trailing garbage after the value is a syntax error too.
    deserializer.end().map_err(|_| {
        crate::Issue::error(
            "",
            crate::IssueCode::InvalidJson,
            "JSON 之后还有多余的内容".to_owned(),
            "there is more content after the JSON value".to_owned(),
        )
    })?;
    Ok(value)
}

/// Parses a survey from an already-decoded JSON value (one item of a batch).
pub fn survey_from_value(value: serde_json::Value) -> Result<Survey, crate::Issue> {
    serde_path_to_error::deserialize(value).map_err(crate::issue::from_json_error)
}
