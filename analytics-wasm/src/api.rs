//! The crate's JSON-in, JSON-out entry points: what the WASM module exports, callable
//! natively too. Each parses its arguments, calls the domain (indicators, [`crate::report`],
//! [`crate::dashboard`], [`crate::charts`], validation, coefficients) and serializes the
//! answer; the computing is done there.
//!
//! `crate::wasm` (wasm32 only) is a thin `#[wasm_bindgen]` shell over these functions,
//! so the native test fixtures and benchmarks run exactly the code the browser runs,
//! and "the same input gives the same bytes natively and in WASM" is a test of
//! something real. Errors
//! are [`crate::Issue`]s (field path, machine code, Chinese and English message), the
//! shape the server's error bodies use; the WASM shell turns them into `JsValue`s.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::charts::{self, Chart, ChartOptions};
use crate::coefficients::{Amount, CannotEstimate, CoefficientKind, Coefficients};
use crate::dashboard::{BoardRequest, DashboardRequest, FactSet};
use crate::groups::{GroupTable, RegionGroup};
use crate::indicators::{self, Grouping, HouseholdFacts, Indicator};
use crate::issue::{Issue, IssueCode};
use crate::plans::PlanTable;
use crate::progress::{self, ProgressRequest, ProgressTables, TargetUsed, YearEstimate};
use crate::regions::{RegionLevel, RegionTable};
use crate::report::{IndicatorReport, Rejected, compute_facts};
use crate::sums::SumsBody;
use crate::survey::{StrawCrop, Survey, YakDungSection, parse_json, survey_from_value};
use crate::targets::TargetOrigin;
use crate::targets::{Target, TargetTable};
use crate::validation::{ValidationContext, validate};

/// Options of [`compute_indicators`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorOptions {
    /// Region level to group by; none pools every region.
    #[serde(default)]
    pub level: Option<RegionLevel>,
    /// Split groups by survey year.
    #[serde(default)]
    pub by_year: bool,
    /// Coefficients to estimate with; the shipped table when absent.
    #[serde(default)]
    pub coefficients: Option<Coefficients>,
    /// Today's date: when given, surveys are validated, those with errors are left out
    /// (and listed), and warnings count in the quality flags.
    #[serde(default)]
    pub today: Option<NaiveDate>,
}

impl IndicatorOptions {
    /// How the options group households.
    fn grouping(&self) -> Grouping {
        Grouping {
            level: self.level,
            by_year: self.by_year,
        }
    }

    /// What surveys are validated against, when `today` is given.
    fn validation_context<'a>(
        &self,
        regions: &'a RegionTable,
        coefficients: &'a Coefficients,
    ) -> Option<ValidationContext<'a>> {
        self.today.map(|today| ValidationContext {
            regions,
            today,
            coefficients,
        })
    }
}

fn issue(code: IssueCode, zh: String, en: String) -> Issue {
    Issue::error("", code, zh, en)
}

/// Parses a JSON array of surveys, keeping the good ones and listing the rest; with a
/// validation context, surveys with errors are listed too.
pub fn parse_surveys(
    surveys_json: &str,
    validation: Option<&ValidationContext<'_>>,
) -> Result<(Vec<Survey>, Vec<Rejected>), Issue> {
    let (indexed, rejected) = parse_indexed(surveys_json, validation)?;
    Ok((indexed.into_iter().map(|(_, s)| s).collect(), rejected))
}

/// Surveys with their positions in the input, and the items left out.
type Parsed = (Vec<(usize, Survey)>, Vec<Rejected>);

/// As [`parse_surveys`], keeping each survey's position in the input.
fn parse_indexed(
    surveys_json: &str,
    validation: Option<&ValidationContext<'_>>,
) -> Result<Parsed, Issue> {
    // Fast path: a clean batch decodes straight into surveys. Only when some item does
    // not decode is the array taken apart, to name each bad item and keep the rest.
    let decoded: Vec<(usize, Survey)>;
    let mut rejected = Vec::new();
    if let Ok(all) = serde_json::from_str::<Vec<Survey>>(surveys_json) {
        decoded = all.into_iter().enumerate().collect();
    } else {
        let values: Vec<serde_json::Value> = parse_json(surveys_json)?;
        let mut good = Vec::with_capacity(values.len());
        for (index, value) in values.into_iter().enumerate() {
            match survey_from_value(value) {
                Ok(survey) => good.push((index, survey)),
                Err(problem) => rejected.push(Rejected {
                    index,
                    issues: vec![problem],
                }),
            }
        }
        decoded = good;
    }
    let Some(ctx) = validation else {
        return Ok((decoded, rejected));
    };
    let mut surveys = Vec::with_capacity(decoded.len());
    for (index, survey) in decoded {
        match Rejected::for_errors(index, validate(&survey, ctx)) {
            Some(errors) => rejected.push(errors),
            None => surveys.push((index, survey)),
        }
    }
    rejected.sort_by_key(|r| r.index);
    Ok((surveys, rejected))
}

fn serialize<T: Serialize>(value: &T) -> Result<String, Issue> {
    serde_json::to_string(value).map_err(not_serializable)
}

fn not_serializable(e: serde_json::Error) -> Issue {
    issue(
        IssueCode::InvalidValue,
        format!("结果无法序列化:{e}"),
        format!("the result could not be serialized: {e}"),
    )
}

/// Facts of the surveys: the per-household form [`compute_facts`] groups.
pub fn facts(surveys_json: &str, options_json: &str) -> Result<Vec<HouseholdFacts>, Issue> {
    let options: IndicatorOptions = parse_json(options_json)?;
    let regions = RegionTable::builtin();
    let coefficients = options.coefficients.clone().unwrap_or_default();
    let ctx = options.validation_context(&regions, &coefficients);
    let (surveys, _) = parse_surveys(surveys_json, ctx.as_ref())?;
    Ok(indicators::facts_from_surveys(
        &surveys,
        &coefficients,
        ctx.as_ref(),
    ))
}

/// `householdFacts(surveysJson, optionsJson)`: the per-household facts of the surveys as
/// a JSON array (what the server stores and sends; options as [`compute_indicators`],
/// only `coefficients` and `today` matter).
pub fn household_facts(surveys_json: &str, options_json: &str) -> Result<String, Issue> {
    serialize(&facts(surveys_json, options_json)?)
}

/// `computeFromFacts(factsJson, optionsJson)`: as [`compute_indicators`], from facts
/// (a JSON array of [`HouseholdFacts`], e.g. from the server) instead of surveys.
pub fn compute_from_facts(facts_json: &str, options_json: &str) -> Result<String, Issue> {
    let options: IndicatorOptions = parse_json(options_json)?;
    let facts: Vec<HouseholdFacts> = parse_json(facts_json)?;
    let groups = compute_facts(
        &facts,
        options.grouping(),
        &RegionTable::builtin(),
        &TargetTable::builtin(),
    );
    serialize(&IndicatorReport {
        groups,
        rejected: Vec::new(),
    })
}

/// `computeIndicators(surveysJson, optionsJson)`: every indicator of every group, as JSON
/// ([`IndicatorReport`]).
pub fn compute_indicators(surveys_json: &str, options_json: &str) -> Result<String, Issue> {
    // Options first, so that a bad option is reported before a large input is parsed.
    let _: IndicatorOptions = parse_json(options_json)?;
    SurveySet::from_json(surveys_json)?.compute_indicators(options_json)
}

/// Surveys parsed once and kept, so that a page (or a benchmark) can compute many
/// groupings without crossing the JSON boundary again.
#[derive(Debug, Clone, Default)]
pub struct SurveySet {
    /// Each survey with its position in the input, for rejection reports.
    surveys: Vec<(usize, Survey)>,
    rejected: Vec<Rejected>,
}

impl SurveySet {
    /// Parses a JSON array of surveys; items that do not decode are kept as rejected.
    pub fn from_json(surveys_json: &str) -> Result<SurveySet, Issue> {
        let (surveys, rejected) = parse_indexed(surveys_json, None)?;
        Ok(SurveySet { surveys, rejected })
    }

    /// Wraps surveys already in memory.
    pub fn from_surveys(surveys: Vec<Survey>) -> SurveySet {
        SurveySet {
            surveys: surveys.into_iter().enumerate().collect(),
            rejected: Vec::new(),
        }
    }

    /// Surveys held.
    pub fn len(&self) -> usize {
        self.surveys.len()
    }

    /// Whether no survey is held.
    pub fn is_empty(&self) -> bool {
        self.surveys.is_empty()
    }

    /// As [`compute_indicators`], on the held surveys.
    pub fn compute_indicators(&self, options_json: &str) -> Result<String, Issue> {
        let options: IndicatorOptions = parse_json(options_json)?;
        let regions = RegionTable::builtin();
        let coefficients = options.coefficients.clone().unwrap_or_default();
        let ctx = options.validation_context(&regions, &coefficients);
        let mut rejected = self.rejected.clone();
        let mut facts = Vec::with_capacity(self.surveys.len());
        for (index, survey) in &self.surveys {
            if let Some(ctx) = &ctx {
                if let Some(errors) = Rejected::for_errors(*index, validate(survey, ctx)) {
                    rejected.push(errors);
                    continue;
                }
            }
            facts.push(HouseholdFacts::from_survey(
                survey,
                &coefficients,
                ctx.as_ref(),
            ));
        }
        rejected.sort_by_key(|r| r.index);
        let groups = compute_facts(
            &facts,
            options.grouping(),
            &regions,
            &TargetTable::builtin(),
        );
        serialize(&IndicatorReport { groups, rejected })
    }
}

/// The input of [`assess_progress`]: one indicator's yearly estimates of one region and
/// a target, as the status rules take them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessInput {
    /// The year assessed.
    year: i32,
    /// Every year's estimate (year, n, rate, se, ci_low, ci_high).
    history: Vec<YearEstimate>,
    /// The target: value (0–1), year, comparison (`at_least` default).
    #[serde(default)]
    target: Option<AssessTarget>,
    /// A quality flag invalidates the group.
    #[serde(default)]
    invalid: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessTarget {
    value: f64,
    year: i32,
    #[serde(default = "at_least")]
    comparison: crate::targets::Comparison,
}

fn at_least() -> crate::targets::Comparison {
    crate::targets::Comparison::AtLeast
}

/// `assessProgress(inputJson)`: REFERENCE.md's status rules on given yearly estimates
/// (`{"year", "history": [{year, n, rate, se, ci_low, ci_high}], "target": {value, year}}`),
/// as an [`progress::Assessment`]; what the unit tests of the rules run in WASM too.
pub fn assess_progress(input_json: &str) -> Result<String, Issue> {
    let input: AssessInput = parse_json(input_json)?;
    let target = input.target.map(|t| TargetUsed {
        value: t.value,
        year: t.year,
        comparison: t.comparison,
        source: String::new(),
        origin: TargetOrigin::Own,
        region_code: String::new(),
        proxy: None,
        origin_zh: String::new(),
        origin_en: String::new(),
    });
    serialize(&progress::assess(
        input.year,
        &input.history,
        target,
        input.invalid,
    ))
}

/// `progressBoard(surveysJson, requestJson)`: the progress board ([`progress::ProgressBoard`])
/// of surveys (a JSON array) for a [`ProgressRequest`], with the shipped targets, plans
/// and groups; surveys that do not decode are left out.
pub fn progress_board(surveys_json: &str, request_json: &str) -> Result<String, Issue> {
    let request: ProgressRequest = parse_json(request_json)?;
    let (surveys, _) = parse_surveys(surveys_json, None)?;
    let regions = RegionTable::builtin();
    let facts = indicators::facts_from_surveys(&surveys, &Coefficients::default(), None);
    let refs: Vec<&HouseholdFacts> = facts.iter().collect();
    let grouping = Grouping {
        level: Some(RegionLevel::County),
        by_year: true,
    };
    let sums: Vec<crate::aggregate::GroupSums> = indicators::group(&refs, grouping, &regions)
        .into_iter()
        .map(|(key, members)| {
            let members: Vec<&HouseholdFacts> = members.iter().map(|&i| refs[i]).collect();
            crate::aggregate::GroupSums::from_members(key, &members)
        })
        .collect();
    let (targets, plans, groups) = (
        TargetTable::builtin(),
        PlanTable::builtin(),
        GroupTable::builtin(),
    );
    let tables = ProgressTables {
        regions: &regions,
        targets: &targets,
        plans: &plans,
        groups: &groups,
    };
    serialize(&progress::progress_board(&sums, tables, &request))
}

/// The body of `GET /api/v1/facts`, as far as [`FactSet::from_json`] reads it.
#[derive(Deserialize)]
struct FactsBody {
    #[serde(default)]
    as_of: Option<String>,
    facts: crate::columns::FactColumns,
}

/// The JSON side of [`FactSet`], what the WASM `FactSet` calls; the figures are computed
/// in [`crate::dashboard`]. The dashboard reads `/api/v1/sums`; `/api/v1/facts` is read
/// too, for API consumers and the tests that compare both with `/api/v1/indicators`.
impl FactSet {
    /// Reads the body of `GET /api/v1/facts` as sent (`as_of` and `facts`, a
    /// [`crate::columns::FactColumns`]); the targets are the shipped table until
    /// [`FactSet::set_targets`].
    pub fn from_json(body_json: &str) -> Result<FactSet, Issue> {
        let body: FactsBody = parse_json(body_json)?;
        let (facts, approved) = body.facts.into_facts()?.into_iter().unzip();
        Ok(FactSet::new(facts, approved, body.as_of))
    }

    /// Reads the body of `GET /api/v1/sums` as sent (a [`SumsBody`]); the targets are
    /// the shipped table until [`FactSet::set_targets`].
    pub fn from_sums_json(body_json: &str) -> Result<FactSet, Issue> {
        let body: SumsBody = parse_json(body_json)?;
        let (households, as_of) = (body.households, body.as_of.clone());
        Ok(FactSet::from_rows(
            body.into_class_sums()?,
            households,
            as_of,
        ))
    }

    /// Replaces the targets with a JSON array of targets (what `GET /api/v1/targets`
    /// answers; members other than those of a target are ignored).
    pub fn set_targets(&mut self, targets_json: &str) -> Result<(), Issue> {
        let targets: Vec<Target> = parse_json(targets_json)?;
        self.replace_targets(TargetTable { targets });
        Ok(())
    }

    /// Replaces the county groups with a JSON array of groups (what `GET /api/v1/groups`
    /// answers; the shipped groups come first there).
    pub fn set_groups(&mut self, groups_json: &str) -> Result<(), Issue> {
        let groups: Vec<RegionGroup> = parse_json(groups_json)?;
        self.replace_groups(GroupTable { groups });
        Ok(())
    }

    /// The progress board for `request_json` (a [`BoardRequest`]), as JSON.
    pub fn progress(&self, request_json: &str) -> Result<String, Issue> {
        let request: BoardRequest = parse_json(request_json)?;
        serialize(&self.progress_of(&request)?)
    }

    /// Every figure of the dashboard for the filters of `request_json` (a
    /// [`DashboardRequest`]), as JSON ([`crate::dashboard::Dashboard`]).
    pub fn dashboard(&self, request_json: &str) -> Result<String, Issue> {
        let request: DashboardRequest = parse_json(request_json)?;
        serialize(&self.dashboard_of(&request)?)
    }

    /// As [`compute_indicators`], on the held facts that match `filter` (region, years,
    /// review; indicator and map size are ignored), grouped as `options_json` says.
    pub fn compute_indicators(
        &self,
        filter: &DashboardRequest,
        options_json: &str,
    ) -> Result<String, Issue> {
        let options: IndicatorOptions = parse_json(options_json)?;
        serialize(&IndicatorReport {
            groups: self.reports_of(filter, options.grouping()),
            rejected: Vec::new(),
        })
    }
}

/// What chart to build from surveys: the input of [`chart_data`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartRequest {
    /// `indicator_by_region`, `trend`, `straw_uses` or `map`.
    pub kind: String,
    /// The indicator (ignored by `straw_uses`).
    #[serde(default = "indicators::default_shown")]
    pub indicator: Indicator,
    /// Region level of the bars (`indicator_by_region`, `straw_uses`); county by default.
    #[serde(default)]
    pub level: Option<RegionLevel>,
    /// The year to show; all years pooled when absent (the trend shows every year).
    #[serde(default)]
    pub year: Option<i32>,
    /// Only households within this region (any level).
    #[serde(default)]
    pub within: Option<String>,
    /// The trend's region.
    #[serde(default)]
    pub region_code: Option<String>,
    /// Coefficients; the shipped table when absent.
    #[serde(default)]
    pub coefficients: Option<Coefficients>,
    /// The calendar year now, by the caller's clock: the trend draws it as in progress.
    #[serde(default)]
    pub current_year: Option<i32>,
}

/// `chartData(surveysJson, requestJson)`: the data of one chart, computed from surveys,
/// as JSON that [`render_chart`] draws (and a page may also show as a table).
pub fn chart_data(surveys_json: &str, request_json: &str) -> Result<String, Issue> {
    let request: ChartRequest = parse_json(request_json)?;
    let regions = RegionTable::builtin();
    let targets = TargetTable::builtin();
    let (surveys, _) = parse_surveys(surveys_json, None)?;
    let coefficients = request.coefficients.clone().unwrap_or_default();
    let facts: Vec<HouseholdFacts> = indicators::facts_from_surveys(&surveys, &coefficients, None)
        .into_iter()
        .filter(|f| {
            request
                .within
                .as_deref()
                .is_none_or(|w| regions.is_within(&f.county_code, w))
        })
        .collect();
    let level = request.level.unwrap_or(RegionLevel::County);
    let grouped = |by_year| {
        indicators::compute(
            &facts,
            Grouping {
                level: Some(level),
                by_year,
            },
            &regions,
        )
    };
    let pooled_or_yearly = || grouped(request.year.is_some());
    let chart = match request.kind.as_str() {
        "indicator_by_region" => Chart::IndicatorByRegion(charts::indicator_by_region_data(
            &pooled_or_yearly(),
            request.indicator,
            request.year,
            // Pooled years are measured against the target of the latest of them.
            request
                .year
                .or_else(|| facts.iter().map(|f| f.year).max())
                .unwrap_or_default(),
            &targets,
            &regions,
        )),
        "straw_uses" => {
            Chart::StrawUses(charts::straw_uses_data(&pooled_or_yearly(), request.year))
        }
        "trend" => {
            let code = request.region_code.clone().ok_or_else(|| {
                Issue::error(
                    "region_code",
                    IssueCode::MissingField,
                    "趋势图需要 region_code".to_owned(),
                    "a trend chart needs region_code".to_owned(),
                )
            })?;
            let level = regions.get(&code).map_or(level, |r| r.level);
            let groups = indicators::compute(
                &facts,
                Grouping {
                    level: Some(level),
                    by_year: true,
                },
                &regions,
            );
            Chart::Trend(charts::trend_data(
                &groups,
                request.indicator,
                &code,
                &targets,
                &regions,
                &PlanTable::builtin(),
                request.current_year,
            ))
        }
        "map" => Chart::Map(charts::map_data(
            &indicators::compute(
                &facts,
                Grouping {
                    level: Some(RegionLevel::County),
                    by_year: request.year.is_some(),
                },
                &regions,
            ),
            request.indicator,
            request.year,
            &regions,
        )),
        other => {
            return Err(Issue::error(
                "kind",
                IssueCode::InvalidValue,
                format!("未知图表类型 {other:?}"),
                format!(
                    "unknown chart kind {other:?}; expected indicator_by_region, trend, straw_uses or map"
                ),
            ));
        }
    };
    // The kind tag is implied by the request; the data alone is what renderChart takes.
    let mut value = serde_json::to_value(&chart).map_err(not_serializable)?;
    if let Some(object) = value.as_object_mut() {
        object.remove("kind");
    }
    serialize(&value)
}

/// `renderChart(kind, dataJson, optionsJson)`: the chart as an SVG document.
pub fn render_chart(kind: &str, data_json: &str, options_json: &str) -> Result<String, Issue> {
    let options: ChartOptions = if options_json.trim().is_empty() {
        ChartOptions::default()
    } else {
        parse_json(options_json)?
    };
    charts::render_svg_json(kind, data_json, &options).map_err(|e| {
        Issue::error(
            "data",
            IssueCode::InvalidValue,
            format!("图表无法绘制:{e}"),
            format!("the chart could not be drawn: {e}"),
        )
    })
}

/// `validateSurvey(json, todayIso, coefficientsJson)`: every issue of one survey
/// (decoding problems or validation errors and warnings), as a JSON array; empty when the
/// survey is clean. The coefficients are those that apply to the survey's county and year
/// ([`coefficients_of_applicable`] makes them from what the server says applies); empty
/// means the shipped table, as for the estimates.
pub fn validate_survey(
    survey_json: &str,
    today_iso: &str,
    coefficients_json: &str,
) -> Result<String, Issue> {
    let today = NaiveDate::parse_from_str(today_iso.trim(), "%Y-%m-%d").map_err(|_| {
        Issue::error(
            "today",
            IssueCode::InvalidValue,
            format!("日期 {today_iso:?} 不是 YYYY-MM-DD 格式"),
            format!("today {today_iso:?} is not a YYYY-MM-DD date"),
        )
    })?;
    let regions = RegionTable::builtin();
    let coefficients = coefficients_from(coefficients_json)?;
    let issues = match crate::survey::parse_survey(survey_json) {
        Ok(survey) => validate(
            &survey,
            &ValidationContext {
                regions: &regions,
                today,
                coefficients: &coefficients,
            },
        ),
        Err(problem) => vec![problem],
    };
    serialize(&issues)
}

/// An estimate for the web form, shown next to the field left empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormEstimate {
    /// The amount and whether it was measured or estimated; none when it cannot be had.
    pub amount: Option<Amount>,
    /// Why there is no amount.
    pub cannot_estimate: Option<CannotEstimate>,
}

fn form_estimate(result: Result<Amount, CannotEstimate>) -> FormEstimate {
    match result {
        Ok(amount) => FormEstimate {
            amount: Some(amount),
            cannot_estimate: None,
        },
        Err(why) => FormEstimate {
            amount: None,
            cannot_estimate: Some(why),
        },
    }
}

fn coefficients_from(json: &str) -> Result<Coefficients, Issue> {
    if json.trim().is_empty() || json.trim() == "null" {
        Ok(Coefficients::builtin())
    } else {
        parse_json(json)
    }
}

/// `estimateStraw(cropJson, coefficientsJson)`: one crop's collectable straw (weighed,
/// counted as bundles or cart-loads × kg each, or yield × 草谷比 × 收集系数). Empty
/// coefficients mean the shipped table.
pub fn estimate_straw(crop_json: &str, coefficients_json: &str) -> Result<String, Issue> {
    let crop: StrawCrop = parse_json(crop_json)?;
    let coefficients = coefficients_from(coefficients_json)?;
    serialize(&form_estimate(coefficients.collectable_straw(&crop)))
}

/// `estimateDung(dungJson, coefficientsJson)`: dung produced (measured, or heads × days ×
/// coefficient).
pub fn estimate_dung(dung_json: &str, coefficients_json: &str) -> Result<String, Issue> {
    let dung: YakDungSection = parse_json(dung_json)?;
    let coefficients = coefficients_from(coefficients_json)?;
    serialize(&form_estimate(coefficients.dung_produced(&dung)))
}

/// One coefficient as `GET /api/v1/coefficients/applicable` lists it; the members that
/// say where it comes from are not needed to estimate with it.
#[derive(Deserialize)]
struct AppliedValue {
    kind: String,
    key: String,
    value: Option<f64>,
}

/// The body of `GET /api/v1/coefficients/applicable`, as far as
/// [`coefficients_of_applicable`] reads it.
#[derive(Deserialize)]
struct ApplicableBody {
    coefficients: Vec<AppliedValue>,
}

/// `coefficientsOfApplicable(applicableJson)`: the coefficients of one county and year
/// (the body of `GET /api/v1/coefficients/applicable`) as the `Coefficients` JSON that
/// [`validate_survey`] and the estimates take, so that the form checks and estimates with
/// the values the server stores the survey's facts with. Kinds this build does not know
/// are skipped, as in `coefficients.csv`.
pub fn coefficients_of_applicable(applicable_json: &str) -> Result<String, Issue> {
    let body: ApplicableBody = parse_json(applicable_json)?;
    let mut coefficients = Coefficients::empty();
    for applied in body.coefficients {
        if let Some(kind) = CoefficientKind::from_key(&applied.kind) {
            coefficients.set(kind, &applied.key, applied.value);
        }
    }
    serialize(&coefficients)
}

/// `defaultCoefficients()`: the shipped coefficient table, for a page to show or edit.
pub fn default_coefficients() -> Result<String, Issue> {
    serialize(&Coefficients::builtin())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::GroupReport;
    use crate::synthetic::SyntheticSpec;

    fn surveys_json(n: usize) -> String {
        serde_json::to_string(&SyntheticSpec::default().surveys(n)).unwrap_or_default()
    }

    #[test]
    fn compute_indicators_reports_groups_progress_and_rejections() {
        let mut values: Vec<serde_json::Value> =
            serde_json::from_str(&surveys_json(300)).unwrap_or_default();
        values.push(serde_json::json!({"id": "not a uuid"}));
        let json = serde_json::to_string(&values).unwrap_or_default();
        let out = compute_indicators(
            &json,
            r#"{"level": "prefecture", "by_year": true, "today": "2026-01-01"}"#,
        );
        let Ok(out) = out else { panic!("{out:?}") };
        let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        let groups = report["groups"].as_array().cloned().unwrap_or_default();
        // 4 prefectures × 3 years.
        assert_eq!(groups.len(), 12);
        assert_eq!(report["rejected"][0]["index"], 300);
        let ali_2025 = groups
            .iter()
            .find(|g| g["region_code"] == "542500" && g["year"] == 2025);
        let Some(ali) = ali_2025 else {
            panic!("no 阿里 2025 group")
        };
        assert_eq!(ali["region_name_zh"], "阿里地区");
        assert_eq!(
            ali["progress"]["yak_dung_utilization_rate"]["target"]["target"]["target"],
            0.93
        );
        assert!(ali["indicators"]["film_recovery_rate"]["rate"].is_number());
    }

    #[test]
    fn facts_round_trip_to_the_same_report() {
        let surveys = surveys_json(400);
        let options = r#"{"level":"county","by_year":true}"#;
        let facts = household_facts(&surveys, options).unwrap_or_default();
        assert_eq!(
            compute_from_facts(&facts, options),
            compute_indicators(&surveys, options)
        );
    }

    fn fact_set(n: usize) -> (String, FactSet) {
        let surveys = surveys_json(n);
        let facts = facts(&surveys, "{}").unwrap_or_default();
        let mut columns = crate::columns::FactColumns::new();
        for (i, f) in facts.iter().enumerate() {
            columns.push(f, i % 2 == 0);
        }
        let body = serde_json::json!({"as_of": "2026-01-01T00:00:00Z", "facts": columns});
        let set = FactSet::from_json(&body.to_string());
        let Ok(set) = set else { panic!("{set:?}") };
        (surveys, set)
    }

    /// Equal JSON, numbers compared to summation-order rounding (1e-9 relative).
    fn assert_same_json(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
        use serde_json::Value;
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                assert!(
                    (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                    "{at}: {x} vs {y}"
                );
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len(), "{at}: length");
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    assert_same_json(x, y, &format!("{at}[{i}]"));
                }
            }
            (Value::Object(x), Value::Object(y)) => {
                assert_eq!(
                    x.keys().collect::<Vec<_>>(),
                    y.keys().collect::<Vec<_>>(),
                    "{at}"
                );
                for (k, x) in x {
                    assert_same_json(x, &y[k], &format!("{at}.{k}"));
                }
            }
            _ => assert_eq!(a, b, "{at}"),
        }
    }

    #[test]
    fn fact_set_progress_is_the_surveys_board() {
        let (surveys, set) = fact_set(500);
        let request = r#"{"within": "542500", "current_year": 2026}"#;
        let from_surveys = progress_board(&surveys, request).unwrap_or_default();
        let held = set
            .progress(r#"{"within": "542500", "current_year": 2026}"#)
            .unwrap_or_default();
        assert!(from_surveys.contains("ali-input-recovery-pilot"));
        // The same board; the set adds the approved and the other households' sums, so
        // figures agree to the rounding of that order of addition.
        assert_same_json(
            &serde_json::from_str(&held).unwrap_or_default(),
            &serde_json::from_str(&from_surveys).unwrap_or_default(),
            "board",
        );
        // With the approved-only filter, the rows hold fewer households.
        let approved: crate::progress::ProgressBoard = serde_json::from_str(
            &set.progress(r#"{"within": "542500", "approved_only": true, "current_year": 2026}"#)
                .unwrap_or_default(),
        )
        .unwrap();
        let all: crate::progress::ProgressBoard = serde_json::from_str(&held).unwrap();
        assert_eq!(all.year, Some(2025));
        assert!(approved.rows[0].households <= all.rows[0].households);
        assert!(
            set.progress(r#"{"within": "999999", "current_year": 2026}"#)
                .is_err()
        );
    }

    #[test]
    fn fact_set_dashboard_is_the_surveys_report() {
        let (surveys, set) = fact_set(500);
        assert_eq!(set.len(), 500);
        assert_eq!(set.as_of(), Some("2026-01-01T00:00:00Z"));
        let request: DashboardRequest = serde_json::from_str(
            r#"{"within": "542500", "from": 2025, "to": 2025, "indicator": "yak_dung_utilization_rate"}"#,
        )
        .unwrap();
        let dashboard = set.dashboard_of(&request);
        let Ok(dashboard) = dashboard else {
            panic!("{dashboard:?}")
        };
        // The board: the county groups of 2025 that computeIndicators gives from surveys.
        let report: IndicatorReport = serde_json::from_str(
            &compute_indicators(&surveys, r#"{"level":"county","by_year":true}"#)
                .unwrap_or_default(),
        )
        .unwrap();
        let expected: Vec<&GroupReport> = report
            .groups
            .iter()
            .filter(|g| g.group.key.year == Some(2025))
            .filter(|g| {
                g.group
                    .key
                    .region_code
                    .as_deref()
                    .is_some_and(|c| c.starts_with("5425"))
            })
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(dashboard.years, vec![2023, 2024, 2025]);
        assert_eq!(dashboard.by_region.bars.len(), expected.len());
        let trend = dashboard.trend.expect("a trend for 542500");
        assert_eq!(trend.points.len(), 3, "every year, whatever the range");
        // The map's tiles are the bars' county groups, not household points.
        let tile_codes: Vec<&str> = dashboard
            .map
            .tiles
            .iter()
            .map(|t| t.code.as_str())
            .collect();
        let bar_codes: Vec<&str> = dashboard
            .by_region
            .bars
            .iter()
            .map(|b| b.code.as_str())
            .collect();
        assert_eq!(tile_codes, bar_codes);
        assert_eq!(
            dashboard.households,
            expected.iter().map(|g| g.group.households).sum::<usize>()
        );

        // Approved only halves the households; an unknown region is named.
        let approved = set
            .dashboard_of(&DashboardRequest {
                approved_only: true,
                ..request.clone()
            })
            .unwrap();
        assert!(approved.households < dashboard.households && approved.households > 0);
        let bad = set.dashboard(r#"{"within": "999999"}"#);
        assert!(bad.is_err_and(|e| e.path == "within"));
        let bad = set.dashboard(r#"{"indicatr": "x"}"#);
        assert!(bad.is_err_and(|e| e.code == IssueCode::UnknownField));
    }

    #[test]
    fn sums_give_the_figures_of_the_households() {
        let (_, from_facts) = fact_set(500);
        let body = serde_json::to_string(&from_facts.sums_body()).unwrap_or_default();
        let from_sums = FactSet::from_sums_json(&body);
        let Ok(from_sums) = from_sums else {
            panic!("{from_sums:?}")
        };
        assert_eq!(from_sums.len(), 500);
        assert_eq!(from_sums.as_of(), Some("2026-01-01T00:00:00Z"));
        for request in [
            r#"{}"#,
            r#"{"within": "542500", "from": 2025, "to": 2025, "indicator": "yak_dung_utilization_rate"}"#,
            r#"{"within": "630000", "from": 2024, "approved_only": true}"#,
            r#"{"within": "542523", "current_year": 2025}"#,
        ] {
            let expected = from_facts.dashboard(request);
            assert!(expected.is_ok(), "{request}: {expected:?}");
            assert_eq!(from_sums.dashboard(request), expected, "{request}");
        }
        // The board's cells and households agree; only the film-per-mu flags of each
        // row's indicators need the households, which the sums do not carry.
        let cells = |set: &FactSet, request: &str| {
            let board: serde_json::Value =
                serde_json::from_str(&set.progress(request).unwrap_or_default())
                    .unwrap_or_default();
            let rows = board["rows"].as_array().cloned().unwrap_or_default();
            assert!(!rows.is_empty(), "{request}");
            rows.iter()
                .map(|r| {
                    (
                        r["code"].clone(),
                        r["households"].clone(),
                        r["cells"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        for request in [
            r#"{"current_year": 2026}"#,
            r#"{"within": "542500", "approved_only": true, "year": 2024, "current_year": 2026}"#,
        ] {
            assert_eq!(cells(&from_sums, request), cells(&from_facts, request));
        }
        let bad = FactSet::from_sums_json(r#"{"counties": [], "rows": [{"county": 3}]}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn fact_set_takes_the_targets_it_is_given() {
        let (_, mut set) = fact_set(300);
        let targets = r#"[{"region_code": "542500", "indicator": "film_recovery_rate", "year": 2030,
            "target": 0.42, "comparison": "at_least", "source": "test", "updated_by": "admin"}]"#;
        assert_eq!(set.set_targets(targets), Ok(()));
        let dashboard = set
            .dashboard_of(&DashboardRequest {
                within: Some("542500".to_owned()),
                from: Some(2025),
                to: Some(2025),
                approved_only: false,
                indicator: Indicator::FilmRecovery,
                current_year: None,
            })
            .unwrap();
        assert!(
            dashboard
                .by_region
                .bars
                .iter()
                .all(|b| b.target.map(|t| t.rate) == Some(0.42))
        );
        assert!(set.set_targets("{").is_err());
    }

    #[test]
    fn bad_options_name_the_field() {
        let err = compute_indicators("[]", r#"{"levle": "county"}"#);
        assert!(err.is_err_and(|e| e.code == IssueCode::UnknownField && e.path == "levle"));
        let err = compute_indicators("[{", "{}");
        assert!(err.is_err_and(|e| e.code == IssueCode::InvalidJson));
    }

    #[test]
    fn chart_data_feeds_render_chart() {
        let surveys = surveys_json(600);
        for (kind, request) in [
            (
                "indicator_by_region",
                r#"{"kind":"indicator_by_region","indicator":"film_recovery_rate","year":2025,"within":"630000"}"#,
            ),
            (
                "trend",
                r#"{"kind":"trend","indicator":"yak_dung_utilization_rate","region_code":"542500"}"#,
            ),
            ("straw_uses", r#"{"kind":"straw_uses","within":"630100"}"#),
            ("map", r#"{"kind":"map","indicator":"film_recovery_rate"}"#),
        ] {
            let data = chart_data(&surveys, request);
            let Ok(data) = data else {
                panic!("{kind}: {data:?}")
            };
            let svg = render_chart(kind, &data, r#"{"lang":"en","width":640,"height":400}"#);
            assert!(
                svg.as_ref().is_ok_and(|s| s.contains("width=\"640\"")),
                "{kind}: {svg:?}"
            );
        }
        assert!(chart_data(&surveys, r#"{"kind":"trend"}"#).is_err());
    }

    /// The body of `GET /api/v1/coefficients/applicable` for a county whose bureau set
    /// its own dung coefficient (the other coefficients national).
    fn applicable_with_dung(per_head_day: f64) -> String {
        let mut entries: Vec<serde_json::Value> = crate::coefficients::CoefficientTable::builtin()
            .applicable(&RegionTable::builtin(), "542523", 2025)
            .into_iter()
            .map(|a| {
                let mut value = serde_json::to_value(&a.entry).unwrap_or_default();
                value["inherited"] = a.inherited.into();
                value
            })
            .collect();
        for entry in &mut entries {
            if entry["kind"] == "yak_dung_per_head_day" {
                entry["value"] = per_head_day.into();
                entry["region_code"] = "542523".into();
                entry["inherited"] = false.into();
            }
        }
        serde_json::json!({"region_code": "542523", "year": 2025, "coefficients": entries})
            .to_string()
    }

    #[test]
    fn the_applicable_coefficients_are_what_the_table_resolves() {
        let national = coefficients_of_applicable(&applicable_with_dung(2.15));
        assert_eq!(national, default_coefficients());
        let own: Coefficients = serde_json::from_str(
            &coefficients_of_applicable(&applicable_with_dung(3.0)).unwrap_or_default(),
        )
        .unwrap_or_else(|_| Coefficients::empty());
        assert_eq!(own.yak_dung_kg_per_head_day, Some(3.0));
        assert_eq!(own.collectable_coefficient(), Some(0.81));
        assert!(coefficients_of_applicable(r#"{"coefficients": 3}"#).is_err());
    }

    #[test]
    fn the_form_validates_with_the_coefficients_it_is_given() {
        let example = include_str!("../data/example-survey.json");
        // 25 yaks, 15 000 kg used: within twice the shipped estimate (19 618.75 kg a
        // year), beyond twice an estimate at 0.25 kg per head and day (2 281.25 kg).
        let shipped = validate_survey(example, "2026-01-01", "").unwrap_or_default();
        assert!(!shipped.contains("dung_used_beyond_herd"), "{shipped}");
        let low = coefficients_of_applicable(&applicable_with_dung(0.25)).unwrap_or_default();
        let warned = validate_survey(example, "2026-01-01", &low).unwrap_or_default();
        assert!(warned.contains("dung_used_beyond_herd"), "{warned}");
        assert!(validate_survey(example, "2026-01-01", "{").is_err());
    }

    #[test]
    fn an_implausible_group_rate_is_reported_flagged_and_never_met() {
        // Estimated dung that undershoots what the households used: each survey valid,
        // the group's rate above 100 %.
        let mut facts = facts(&surveys_json(400), "{}").unwrap_or_default();
        facts.retain(|f| f.county_code == "542523" && f.year == 2025);
        for f in &mut facts {
            f.yak_dung_utilization = Some(indicators::Ratio { y: 105.0, x: 100.0 });
        }
        assert!(!facts.is_empty());
        let grouping = Grouping {
            level: Some(RegionLevel::County),
            by_year: true,
        };
        let reports = compute_facts(
            &facts,
            grouping,
            &RegionTable::builtin(),
            &TargetTable::builtin(),
        );
        let [report] = reports.as_slice() else {
            panic!("{reports:?}")
        };
        let dung = Indicator::YakDungUtilization;
        assert_eq!(report.group.indicators[&dung].rate, Some(1.05));
        assert!(report.group.quality.implausible.contains(&dung));
        let progress = &report.progress[&dung];
        assert!(progress.implausible && !progress.met, "{progress:?}");
        assert!((progress.gap_pp - 12.0).abs() < 1e-9, "{progress:?}");
    }

    #[test]
    fn validate_and_estimate_for_the_form() {
        let example = include_str!("../data/example-survey.json");
        assert_eq!(
            validate_survey(example, "2026-01-01", "").as_deref(),
            Ok("[]")
        );
        let future = validate_survey(example, "2025-01-01", "").unwrap_or_default();
        assert!(future.contains("future_date"));
        assert!(validate_survey(example, "yesterday", "").is_err());
        let straw = estimate_straw(r#"{"crop":"potato","yield_kg":1000}"#, "");
        assert_eq!(
            straw.as_deref(),
            Ok(r#"{"amount":{"kg":575.1,"source":"estimated"},"cannot_estimate":null}"#)
        );
        let barley = estimate_straw(r#"{"crop":"highland_barley","yield_kg":1000}"#, "null");
        assert!(barley.is_ok_and(|s| s.contains("unconfirmed_coefficient")));
        let dung = estimate_dung(r#"{"yak_head":2}"#, "").unwrap_or_default();
        assert!(dung.contains("1569.5"), "{dung}");
    }
}
