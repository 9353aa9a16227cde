//! The WebAssembly API: the only module that knows about JavaScript.
//!
//! Each export is a thin shell over a function of [`crate::api`], which the native tests
//! and benchmarks call directly, so the browser, Node and the server run the same code.
//! Values cross the boundary as JSON strings (one parse per call, no per-object
//! marshalling), and an error becomes a `JsValue` holding the [`crate::Issue`] JSON
//! (`path`, `code`, `severity`, `message_zh`, `message_en`) here and nowhere else.

use wasm_bindgen::prelude::*;

use crate::api;
use crate::dashboard;
use crate::issue::Issue;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** One problem with one field (errors thrown by every export have this shape, as JSON). */
export interface Issue {
  path: string;
  code: string;
  severity: "error" | "warning";
  message_zh: string;
  message_en: string;
}
export type RegionLevel = "province" | "prefecture" | "county";
export type Indicator =
  | "film_recovery_rate" | "pesticide_packaging_recovery_rate"
  | "pesticide_packaging_recovery_rate_kg" | "straw_utilization_rate"
  | "yak_dung_utilization_rate" | "film_thickness_compliance_rate"
  | "degradable_film_share";
export interface IndicatorOptions {
  level?: RegionLevel | null;
  by_year?: boolean;
  coefficients?: Coefficients | null;
  /** YYYY-MM-DD; when given, surveys are validated and rejected ones listed. */
  today?: string | null;
}
export interface Coefficients {
  straw_grain_ratio: Record<string, number | null>;
  straw_collectable_coefficient: number | null;
  yak_dung_kg_per_head_day: number | null;
  days_per_year?: number;
  film_min_thickness_mm: number;
}
export interface RatioEstimate {
  n: number;
  weighted_numerator: number;
  weighted_denominator: number;
  numerator: number;
  denominator: number;
  /** Weighted ratio of totals; null when the denominator is zero. */
  rate: number | null;
  unweighted_rate: number | null;
  se: number | null;
  ci_low: number | null;
  ci_high: number | null;
  small_n: boolean;
}
export interface GroupReport {
  region_code: string | null;
  year: number | null;
  region_name_zh: string | null;
  region_name_en: string | null;
  households: number;
  indicators: Partial<Record<Indicator, RatioEstimate>>;
  straw_uses: Record<"fertilizer" | "feed" | "substrate" | "fuel" | "raw_material",
    { weighted_kg: number; kg: number; share: number | null }>;
  provenance: {
    straw_measured_kg: number; straw_counted_kg: number; straw_estimated_kg: number;
    /** Crop records left out: no confirmed 草谷比, neither weighed nor counted. */
    straw_crops_excluded: number;
    /** The same by crop key, crops with any only. */
    straw_crops_left_out: Partial<Record<string, number>>;
    dung_measured_kg: number; dung_estimated_kg: number; dung_sections_excluded: number;
  };
  quality: {
    surveys: number; surveys_with_warnings: number; warning_share: number | null;
    pesticide_recovery_over_100: boolean; households_returned_exceeds_used: number;
    rates_above_one: Indicator[]; implausible: Indicator[]; film_kg_per_mu_median: number | null;
    film_kg_per_mu_outliers: string[]; small_n: boolean;
  };
  progress: Partial<Record<Indicator, {
    target: { target: { region_code: string; indicator: string; year: number; target: number;
      comparison: "at_least" | "at_most"; source: string }; inherited: boolean; proxy: string | null };
    rate: number; gap_pp: number; met: boolean; implausible: boolean;
    /** The year's phase in the plan the region follows (plans.csv); null outside every plan. */
    phase: { key: string; name_zh: string; name_en: string; first_year: number; last_year: number } | null;
  }>>;
}
export interface IndicatorReport {
  groups: GroupReport[];
  rejected: { index: number; issues: Issue[] }[];
}
/** One household's numerators and denominators (`y` / `x`); null: section absent. */
export interface HouseholdFacts {
  survey_id: string;
  county_code: string;
  year: number;
  weight: number;
  film_recovery: { y: number; x: number } | null;
  pesticide_recovery_count: { y: number; x: number } | null;
  pesticide_recovery_kg: { y: number; x: number } | null;
  straw_utilization: { y: number; x: number } | null;
  yak_dung_utilization: { y: number; x: number } | null;
  film_thickness_compliance: { y: number; x: number } | null;
  degradable_film_share: { y: number; x: number } | null;
  /** fertilizer, feed, substrate, fuel, raw material (kg) */
  straw_uses_kg: [number, number, number, number, number];
  straw_estimated_kg: number;
  straw_counted_kg: number;
  straw_crops_excluded: number;
  /** Bit k set: the k-th crop (highland_barley, spring_wheat, …, other) was left out. */
  straw_excluded_crops: number;
  dung_estimated_kg: number;
  dung_excluded: boolean;
  film_kg_per_mu: number | null;
  warnings: number;
  lat: number | null;
  lon: number | null;
}
export type ChartKind = "indicator_by_region" | "trend" | "straw_uses" | "map";
export interface ChartRequest {
  kind: ChartKind;
  indicator?: Indicator;
  level?: RegionLevel | null;
  year?: number | null;
  within?: string | null;
  region_code?: string | null;
  coefficients?: Coefficients | null;
}
export interface ChartOptions {
  lang?: "zh" | "en";
  width?: number;
  height?: number;
  title?: string | null;
}
export interface DashboardRequest {
  within?: string | null;
  from?: number | null;
  to?: number | null;
  approved_only?: boolean;
  indicator?: Indicator;
  /** The calendar year now in China: drawn as in progress on the trend. */
  current_year?: number | null;
}
export interface Dashboard {
  households: number;
  years: number[];
  by_region: unknown;
  trend: unknown | null;
  straw_uses: unknown;
  map: unknown;
  /** Pooled over the filters: measured, counted, estimated amounts and what was left out. */
  provenance: unknown;
}
/** One indicator's sums: n, Σwy, Σwx, Σy, Σx, Σw²y², Σw²x², Σw²xy. */
export type RatioSumsRow = [number, number, number, number, number, number, number, number];
/** The sums of one county, year and review class. */
export interface SumRow {
  /** Index into `SumsBody.counties`. */
  county: number;
  year: number;
  /** Approved surveys, or counted but not approved ones. */
  approved: boolean;
  households: number;
  surveys_with_warnings: number;
  households_returned_exceeds_used: number;
  /** In `Indicator` order (film_recovery_rate first); null when no household has the section. */
  indicators: (RatioSumsRow | null)[];
  straw_uses_weighted_kg: [number, number, number, number, number];
  straw_uses_kg: [number, number, number, number, number];
  provenance: GroupReport["provenance"];
}
/** The body of `GET /api/v1/sums`, what `FactSet.fromSums` reads. */
export interface SumsBody {
  as_of?: string | null;
  households?: number;
  counties: string[];
  rows: SumRow[];
}
export interface BoardRequest {
  within?: string | null;
  /** Default: the latest complete year with at least 30 households. */
  year?: number | null;
  approved_only?: boolean;
  /** Today's year in China: it and later years are in progress. */
  current_year: number;
}
export interface FormEstimate {
  amount: { kg: number; source: "measured" | "counted" | "estimated" } | null;
  cannot_estimate: "no_input" | "unconfirmed_coefficient" | null;
}
"#;

/// An [`Issue`] as a thrown JavaScript value (its JSON text).
fn to_js(issue: Issue) -> JsValue {
    JsValue::from_str(&serde_json::to_string(&issue).unwrap_or_else(|_| issue.message_en))
}

/// Every indicator of every group of the surveys (a JSON array of surveys); returns an
/// `IndicatorReport` as JSON. `optionsJson` is an `IndicatorOptions`.
#[wasm_bindgen(js_name = computeIndicators)]
pub fn compute_indicators(surveys_json: &str, options_json: &str) -> Result<String, JsValue> {
    api::compute_indicators(surveys_json, options_json).map_err(to_js)
}

/// The per-household facts of the surveys (a JSON array), the compact form the server
/// also produces; `optionsJson` as for `computeIndicators`.
#[wasm_bindgen(js_name = householdFacts)]
pub fn household_facts(surveys_json: &str, options_json: &str) -> Result<String, JsValue> {
    api::household_facts(surveys_json, options_json).map_err(to_js)
}

/// As `computeIndicators`, from facts (e.g. sent by the server) instead of surveys.
#[wasm_bindgen(js_name = computeFromFacts)]
pub fn compute_from_facts(facts_json: &str, options_json: &str) -> Result<String, JsValue> {
    api::compute_from_facts(facts_json, options_json).map_err(to_js)
}

/// The data of one chart (`ChartRequest`) computed from surveys, as JSON for
/// `renderChart`.
#[wasm_bindgen(js_name = chartData)]
pub fn chart_data(surveys_json: &str, request_json: &str) -> Result<String, JsValue> {
    api::chart_data(surveys_json, request_json).map_err(to_js)
}

/// REFERENCE.md's status rules on given yearly estimates and a target (`Assessment` JSON).
#[wasm_bindgen(js_name = assessProgress)]
pub fn assess_progress(input_json: &str) -> Result<String, JsValue> {
    api::assess_progress(input_json).map_err(to_js)
}

/// The progress board of surveys (a JSON array) for a `ProgressRequest`
/// (`{within, year, current_year}`), with the shipped targets, plans and groups.
#[wasm_bindgen(js_name = progressBoard)]
pub fn progress_board(surveys_json: &str, request_json: &str) -> Result<String, JsValue> {
    api::progress_board(surveys_json, request_json).map_err(to_js)
}

/// Draws a chart (`kind`: a `ChartKind`) as an SVG document; `optionsJson` is a
/// `ChartOptions` (or empty for the defaults).
#[wasm_bindgen(js_name = renderChart)]
pub fn render_chart(kind: &str, data_json: &str, options_json: &str) -> Result<String, JsValue> {
    api::render_chart(kind, data_json, options_json).map_err(to_js)
}

/// Every issue of one survey as a JSON array of `Issue` (empty when clean);
/// `todayIso` is the phone's date, YYYY-MM-DD; `coefficientsJson` the `Coefficients` of
/// the survey's county and year (`coefficientsOfApplicable`), absent or empty for the
/// shipped table.
#[wasm_bindgen(js_name = validateSurvey)]
pub fn validate_survey(
    survey_json: &str,
    today_iso: &str,
    coefficients_json: Option<String>,
) -> Result<String, JsValue> {
    api::validate_survey(
        survey_json,
        today_iso,
        coefficients_json.as_deref().unwrap_or_default(),
    )
    .map_err(to_js)
}

/// The `Coefficients` JSON of the body of `GET /api/v1/coefficients/applicable`, for
/// `validateSurvey`, `estimateStraw` and `estimateDung`.
#[wasm_bindgen(js_name = coefficientsOfApplicable)]
pub fn coefficients_of_applicable(applicable_json: &str) -> Result<String, JsValue> {
    api::coefficients_of_applicable(applicable_json).map_err(to_js)
}

/// One crop's collectable straw for the form (`FormEstimate` JSON); empty
/// `coefficientsJson` means the shipped table.
#[wasm_bindgen(js_name = estimateStraw)]
pub fn estimate_straw(crop_json: &str, coefficients_json: &str) -> Result<String, JsValue> {
    api::estimate_straw(crop_json, coefficients_json).map_err(to_js)
}

/// Dung produced by a herd for the form (`FormEstimate` JSON).
#[wasm_bindgen(js_name = estimateDung)]
pub fn estimate_dung(dung_json: &str, coefficients_json: &str) -> Result<String, JsValue> {
    api::estimate_dung(dung_json, coefficients_json).map_err(to_js)
}

/// The shipped coefficient table (`Coefficients` JSON).
#[wasm_bindgen(js_name = defaultCoefficients)]
pub fn default_coefficients() -> Result<String, JsValue> {
    api::default_coefficients().map_err(to_js)
}

/// Surveys parsed once and held in WASM memory, for pages that compute several groupings
/// of the same surveys.
#[wasm_bindgen]
pub struct SurveySet {
    inner: api::SurveySet,
}

#[wasm_bindgen]
impl SurveySet {
    /// Parses a JSON array of surveys (items that do not decode are reported as rejected
    /// by `computeIndicators`).
    #[wasm_bindgen(constructor)]
    pub fn new(surveys_json: &str) -> Result<SurveySet, JsValue> {
        api::SurveySet::from_json(surveys_json)
            .map(|inner| SurveySet { inner })
            .map_err(to_js)
    }

    /// Surveys held.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.len()
    }

    /// As the free function `computeIndicators`, on the held surveys.
    #[wasm_bindgen(js_name = computeIndicators)]
    pub fn compute_indicators(&self, options_json: &str) -> Result<String, JsValue> {
        self.inner.compute_indicators(options_json).map_err(to_js)
    }
}

/// The sums of every county, year and review class (`GET /api/v1/sums`, or summed from
/// the household facts of `GET /api/v1/facts`), parsed once and held in WASM memory with
/// the targets: the dashboard recomputes every figure from them on each filter change.
#[wasm_bindgen]
pub struct FactSet {
    inner: dashboard::FactSet,
}

#[wasm_bindgen]
impl FactSet {
    /// Parses the body of `GET /api/v1/facts` as received (text) and sums its households.
    #[wasm_bindgen(constructor)]
    pub fn new(body_json: &str) -> Result<FactSet, JsValue> {
        dashboard::FactSet::from_json(body_json)
            .map(|inner| FactSet { inner })
            .map_err(to_js)
    }

    /// Parses the body of `GET /api/v1/sums` (a `SumsBody`) as received (text): what the
    /// dashboard loads.
    #[wasm_bindgen(js_name = fromSums)]
    pub fn from_sums(body_json: &str) -> Result<FactSet, JsValue> {
        dashboard::FactSet::from_sums_json(body_json)
            .map(|inner| FactSet { inner })
            .map_err(to_js)
    }

    /// Households held.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.len()
    }

    /// The body's `as_of`.
    #[wasm_bindgen(getter, js_name = asOf)]
    pub fn as_of(&self) -> Option<String> {
        self.inner.as_of().map(str::to_owned)
    }

    /// Replaces the targets with the JSON array `GET /api/v1/targets` answers.
    #[wasm_bindgen(js_name = setTargets)]
    pub fn set_targets(&mut self, targets_json: &str) -> Result<(), JsValue> {
        self.inner.set_targets(targets_json).map_err(to_js)
    }

    /// Replaces the county groups with the JSON array `GET /api/v1/groups` answers.
    #[wasm_bindgen(js_name = setGroups)]
    pub fn set_groups(&mut self, groups_json: &str) -> Result<(), JsValue> {
        self.inner.set_groups(groups_json).map_err(to_js)
    }

    /// The progress board (`ProgressBoard` JSON, as `GET /api/v1/progress`) for a
    /// `BoardRequest`.
    pub fn progress(&self, request_json: &str) -> Result<String, JsValue> {
        self.inner.progress(request_json).map_err(to_js)
    }

    /// Every figure of the dashboard (`Dashboard` JSON) for a `DashboardRequest`.
    pub fn dashboard(&self, request_json: &str) -> Result<String, JsValue> {
        self.inner.dashboard(request_json).map_err(to_js)
    }

    /// An `IndicatorReport` of the facts matching `filterJson` (a `DashboardRequest`:
    /// region, years, review), grouped by `optionsJson` (`IndicatorOptions`).
    #[wasm_bindgen(js_name = computeIndicators)]
    pub fn compute_indicators(
        &self,
        filter_json: &str,
        options_json: &str,
    ) -> Result<String, JsValue> {
        let filter: dashboard::DashboardRequest =
            crate::survey::parse_json(filter_json).map_err(to_js)?;
        self.inner
            .compute_indicators(&filter, options_json)
            .map_err(to_js)
    }
}
