//! The rules a survey must satisfy (REFERENCE.md, "Units and plausibility").
//!
//! One implementation serves the phone (through WASM, before submission) and the server
//! (before storage), so a technician never sees a survey accepted offline and rejected at
//! sync for a rule the phone did not know.
//!
//! Errors reject the survey: negative amounts, NaN/Inf, a part exceeding its whole,
//! unknown county, a date in the future, missing identity, a crop's straw both weighed
//! and counted, a weight of one bundle or cart-load of 0. Warnings are stored with it:
//! implausible film use per mu or thickness, a GPS point outside the county's rough box
//! or outside China, pesticide packages returned beyond those used (returns of earlier
//! years happen, REFERENCE.md), yak dung used beyond twice what the herd produces by the
//! herd-size estimate, a bundle outside 2–60 kg or a cart-load outside 100–1500 kg, a
//! count not in whole or half units.

use chrono::NaiveDate;

use crate::coefficients::{CoefficientTable, Coefficients};
use crate::issue::{Issue, IssueCode};
use crate::labels::Named;
use crate::regions::{CHINA, RegionLevel, RegionTable};
use crate::survey::{
    FilmSection, GeoPoint, PesticidePackagingSection, StrawCount, StrawCountUnit, StrawCrop,
    Survey, YakDungSection,
};

/// Typical film use per mu (kg/mu); outside this range the survey is flagged.
pub const FILM_PER_MU_RANGE_KG: (f64, f64) = (2.0, 10.0);
/// Plausible film thickness (mm); outside this range the survey is flagged.
pub const THICKNESS_RANGE_MM: (f64, f64) = (0.005, 0.2);
/// Surveys dated before this are taken as typing mistakes.
pub const EARLIEST_SURVEY_DATE: (i32, u32, u32) = (2000, 1, 1);
/// How many times the herd-size estimate of dung produced the dung used may reach before
/// it is flagged: the estimate is a mean per head, so a household's real output may lie
/// well above it, but more than twice that is more likely a wrong herd size or amount.
pub const DUNG_USED_PER_ESTIMATE_MAX: f64 = 2.0;

/// What the rules need to know beyond the survey itself.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// The region table, for the county code.
    pub regions: &'a RegionTable,
    /// Today's date where the survey is taken (China Standard Time); later dates are
    /// rejected.
    pub today: NaiveDate,
    /// The coefficients that apply to the survey's county and year (those its facts are
    /// estimated with), for the rules that compare what was recorded with an estimate.
    pub coefficients: &'a Coefficients,
}

/// Checks a survey and returns every problem found, errors and warnings alike.
pub fn validate(survey: &Survey, ctx: &ValidationContext<'_>) -> Vec<Issue> {
    let mut check = Checker::default();
    check.identity(survey, ctx);
    if let Some(point) = &survey.location {
        check.location(point, &survey.county_code, ctx.regions);
    }
    if !survey.has_any_section() {
        check.issues.push(Issue::error(
            "",
            IssueCode::NoSection,
            "调查至少需要填写一个部分(地膜、农药包装废弃物、秸秆、牦牛粪)".to_owned(),
            "a survey needs at least one section (mulch film, pesticide packaging, crop straw, yak dung)"
                .to_owned(),
        ));
    }
    if let Some(film) = &survey.film {
        check.film(film);
    }
    if let Some(packaging) = &survey.pesticide_packaging {
        check.packaging(packaging);
    }
    for (index, crop) in survey.straw.iter().enumerate() {
        let earlier = survey.straw[..index].iter().any(|c| c.crop == crop.crop);
        check.straw(index, crop, earlier);
    }
    if let Some(dung) = &survey.yak_dung {
        check.yak_dung(dung, ctx.coefficients);
    }
    check.issues
}

/// Checks a survey with the coefficients `table` gives its county and year: the ones its
/// facts are estimated with, so that a rule comparing a record with an estimate (dung
/// used against the herd) speaks of the estimate the indicators use. What the server's
/// API, import and demo data validate with.
pub fn validate_with_table(
    survey: &Survey,
    regions: &RegionTable,
    table: &CoefficientTable,
    today: NaiveDate,
) -> Vec<Issue> {
    let coefficients = table.resolve(regions, &survey.county_code, survey.year());
    let ctx = ValidationContext {
        regions,
        today,
        coefficients: &coefficients,
    };
    validate(survey, &ctx)
}

/// Whether any of the issues rejects the survey.
pub fn has_errors(issues: &[Issue]) -> bool {
    issues.iter().any(Issue::is_error)
}

/// Splits issues into (errors, warnings).
pub fn split(issues: Vec<Issue>) -> (Vec<Issue>, Vec<Issue>) {
    issues.into_iter().partition(Issue::is_error)
}

/// A part may exceed its whole by this much before it counts, so that decimal sums such
/// as 0.1 + 0.2 against 0.3 do not reject an honest survey.
fn exceeds(part: f64, whole: f64) -> bool {
    part > whole + 1e-9 * whole.abs().max(1.0)
}

#[derive(Default)]
struct Checker {
    issues: Vec<Issue>,
}

impl Checker {
    fn error(&mut self, path: impl Into<String>, code: IssueCode, zh: String, en: String) {
        self.issues.push(Issue::error(path, code, zh, en));
    }

    fn warning(&mut self, path: impl Into<String>, code: IssueCode, zh: String, en: String) {
        self.issues.push(Issue::warning(path, code, zh, en));
    }

    /// A quantity: finite and not negative. Returns whether it passed, so that rules
    /// comparing it to others run only on sound numbers.
    fn amount(&mut self, path: &str, value: f64) -> bool {
        if !value.is_finite() {
            self.not_finite(path);
            false
        } else if value < 0.0 {
            self.negative(path, value);
            false
        } else {
            true
        }
    }

    fn not_finite(&mut self, path: &str) {
        let named = Named::of(path);
        self.error(
            path,
            IssueCode::NotFinite,
            format!("{}必须是有限的数值", named.zh()),
            format!("{} must be a finite number", named.en()),
        );
    }

    fn negative(&mut self, path: &str, value: impl std::fmt::Display) {
        let named = Named::of(path);
        self.error(
            path,
            IssueCode::Negative,
            format!("{}不能为负数(填写的是 {value})", named.zh()),
            format!("{} cannot be negative (got {value})", named.en()),
        );
    }

    fn optional_amount(&mut self, path: &str, value: Option<f64>) -> bool {
        value.is_none_or(|v| self.amount(path, v))
    }

    fn count(&mut self, path: &str, value: i64) -> bool {
        if value < 0 {
            self.negative(path, value);
            return false;
        }
        true
    }

    fn part_of_whole(&mut self, part_path: &str, part: f64, whole_path: &str, whole: f64) {
        if exceeds(part, whole) {
            let (part_named, whole_named) = (Named::of(part_path), Named::of(whole_path));
            self.error(
                part_path,
                IssueCode::ExceedsWhole,
                format!(
                    "{}不能大于{}",
                    part_named.zh_with(part),
                    whole_named.zh_with(whole)
                ),
                format!(
                    "{} cannot exceed {}",
                    part_named.en_with(part),
                    whole_named.en_with(whole)
                ),
            );
        }
    }

    fn required_text(&mut self, path: &str, value: &str) {
        if value.trim().is_empty() {
            let named = Named::of(path);
            self.error(
                path,
                IssueCode::Required,
                format!("请填写{}", named.zh()),
                format!("{} is required", named.en()),
            );
        }
    }

    fn identity(&mut self, survey: &Survey, ctx: &ValidationContext<'_>) {
        self.required_text("household", &survey.household);
        self.required_text("technician", &survey.technician);
        match ctx.regions.get(&survey.county_code) {
            None => self.error(
                "county_code",
                IssueCode::UnknownCounty,
                format!("区划代码 {} 不是已知的县", survey.county_code),
                format!("division code {} is not a known county", survey.county_code),
            ),
            Some(region) if region.level != RegionLevel::County => self.error(
                "county_code",
                IssueCode::NotACounty,
                format!(
                    "{} 是{}代码,请填写县级代码",
                    survey.county_code, region.name_zh
                ),
                format!(
                    "{} is the code of {} ({}), not of a county",
                    survey.county_code,
                    region.name_en,
                    region.level.key()
                ),
            ),
            Some(_) => {}
        }
        for (path, value) in [("township", &survey.township), ("village", &survey.village)] {
            if value.trim().is_empty() {
                let named = Named::of(path);
                self.warning(
                    path,
                    IssueCode::MissingPlace,
                    format!("未填写{}", named.zh()),
                    format!("{} is not given", named.en()),
                );
            }
        }
        if survey.surveyed_on > ctx.today {
            self.error(
                "surveyed_on",
                IssueCode::FutureDate,
                format!("调查日期 {} 晚于今天 {}", survey.surveyed_on, ctx.today),
                format!(
                    "Survey date {} is after today ({})",
                    survey.surveyed_on, ctx.today
                ),
            );
        }
        let (y, m, d) = EARLIEST_SURVEY_DATE;
        if NaiveDate::from_ymd_opt(y, m, d).is_some_and(|earliest| survey.surveyed_on < earliest) {
            self.error(
                "surveyed_on",
                IssueCode::DateTooOld,
                format!("调查日期 {} 过早,请检查年份", survey.surveyed_on),
                format!(
                    "Survey date {} is implausibly early; check the year",
                    survey.surveyed_on
                ),
            );
        }
        if !survey.weight.is_finite() {
            self.not_finite("weight");
        } else if survey.weight <= 0.0 {
            self.error(
                "weight",
                IssueCode::OutOfRange,
                format!("抽样权重必须大于 0(填写的是 {})", survey.weight),
                format!(
                    "Sampling weight must be greater than 0 (got {})",
                    survey.weight
                ),
            );
        }
    }

    fn location(&mut self, point: &GeoPoint, county_code: &str, regions: &RegionTable) {
        let mut sound = true;
        for (path, value, limit) in [
            ("location.lat", point.lat, 90.0),
            ("location.lon", point.lon, 180.0),
        ] {
            if !value.is_finite() {
                sound = false;
                self.not_finite(path);
            } else if value.abs() > limit {
                sound = false;
                let named = Named::of(path);
                self.error(
                    path,
                    IssueCode::OutOfRange,
                    format!(
                        "{}必须在 -{limit} 到 {limit} 之间(填写的是 {value})",
                        named.zh()
                    ),
                    format!(
                        "{} must lie between -{limit} and {limit} (got {value})",
                        named.en()
                    ),
                );
            }
        }
        self.optional_amount("location.accuracy_m", point.accuracy_m);
        if !sound {
            return;
        }
        if !CHINA.contains(point.lat, point.lon) {
            self.warning(
                "location",
                IssueCode::OutsideChina,
                format!("GPS 位置({}, {})不在中国境内", point.lat, point.lon),
                format!("GPS point ({}, {}) is outside China", point.lat, point.lon),
            );
        } else if let Some(bbox) = regions.bounding_box(county_code) {
            if !bbox.contains(point.lat, point.lon) {
                self.warning(
                    "location",
                    IssueCode::OutsideCounty,
                    format!(
                        "GPS 位置({}, {})不在该县所属地区的大致范围内",
                        point.lat, point.lon
                    ),
                    format!(
                        "GPS point ({}, {}) lies outside the rough area of county {county_code}",
                        point.lat, point.lon
                    ),
                );
            }
        }
    }

    fn film(&mut self, film: &FilmSection) {
        let used = self.amount("film.used_kg", film.used_kg);
        let recovered = self.amount("film.recovered_kg", film.recovered_kg);
        let degradable = self.amount("film.degradable_kg", film.degradable_kg);
        let area = self.optional_amount("film.area_mu", film.area_mu);
        let thickness = self.optional_amount("film.thickness_mm", film.thickness_mm);
        if used && recovered {
            self.part_of_whole(
                "film.recovered_kg",
                film.recovered_kg,
                "film.used_kg",
                film.used_kg,
            );
        }
        if used && degradable {
            self.part_of_whole(
                "film.degradable_kg",
                film.degradable_kg,
                "film.used_kg",
                film.used_kg,
            );
        }
        if let (true, true, Some(area_mu)) = (used, area, film.area_mu) {
            if area_mu > 0.0 && film.used_kg > 0.0 {
                let per_mu = film.used_kg / area_mu;
                let (low, high) = FILM_PER_MU_RANGE_KG;
                if !(low..=high).contains(&per_mu) {
                    self.warning(
                        "film.used_kg",
                        IssueCode::ImplausibleFilmPerMu,
                        format!("地膜使用量按覆膜面积折合每亩 {per_mu:.2} 公斤,超出常见范围 {low}–{high} 公斤/亩,请核实"),
                        format!(
                            "Film used per mu of area covered is {per_mu:.2} kg, outside the usual {low}–{high} kg per mu; please check"
                        ),
                    );
                }
            }
        }
        if let (true, Some(mm)) = (thickness, film.thickness_mm) {
            let (low, high) = THICKNESS_RANGE_MM;
            if mm == 0.0 {
                self.error(
                    "film.thickness_mm",
                    IssueCode::OutOfRange,
                    "地膜厚度必须大于 0;不知道时请留空".to_owned(),
                    "Film thickness must be greater than 0; leave it blank when unknown".to_owned(),
                );
            } else if !(low..=high).contains(&mm) {
                self.warning(
                    "film.thickness_mm",
                    IssueCode::ImplausibleThickness,
                    format!("地膜厚度 {mm} 毫米,超出合理范围 {low}–{high} 毫米,请核实单位"),
                    format!("Film thickness {mm} mm is outside {low}–{high} mm; check the unit"),
                );
            }
        }
    }

    fn packaging(&mut self, packaging: &PesticidePackagingSection) {
        let used = self.count("pesticide_packaging.used_count", packaging.used_count);
        let returned = self.count(
            "pesticide_packaging.returned_count",
            packaging.returned_count,
        );
        let used_kg = self.optional_amount("pesticide_packaging.used_kg", packaging.used_kg);
        let returned_kg =
            self.optional_amount("pesticide_packaging.returned_kg", packaging.returned_kg);
        if used && returned && packaging.returned_count > packaging.used_count {
            let (returned, used) = (packaging.returned_count, packaging.used_count);
            self.warning(
                "pesticide_packaging.returned_count",
                IssueCode::ReturnedExceedsUsed,
                format!(
                    "回收包装数({returned} 个)多于使用包装数({used} 个):是否把往年存下的包装也交回了?记录有效,已保存并标记"
                ),
                format!(
                    "Packages returned ({returned} pcs) are more than packages used ({used} pcs): were packages kept from earlier years returned too? The record is valid; it is kept and flagged"
                ),
            );
        }
        if let (true, true, Some(used_kg), Some(returned_kg)) = (
            used_kg,
            returned_kg,
            packaging.used_kg,
            packaging.returned_kg,
        ) {
            if exceeds(returned_kg, used_kg) {
                self.warning(
                    "pesticide_packaging.returned_kg",
                    IssueCode::ReturnedExceedsUsed,
                    format!(
                        "回收包装重量({returned_kg} 公斤)多于使用包装重量({used_kg} 公斤):是否把往年存下的包装也交回了?记录有效,已保存并标记"
                    ),
                    format!(
                        "{returned_kg} kg of packaging returned is more than the {used_kg} kg used: were packages kept from earlier years returned too? The record is valid; it is kept and flagged"
                    ),
                );
            }
        }
    }

    fn straw(&mut self, index: usize, crop: &StrawCrop, seen_before: bool) {
        let at = |field: &str| format!("straw[{index}].{field}");
        if seen_before {
            self.error(
                at("crop"),
                IssueCode::DuplicateCrop,
                format!("作物 {} 重复填写;每种作物只填一行", crop.crop.name_zh()),
                format!(
                    "the crop {} appears twice; give each crop once",
                    crop.crop.name_en()
                ),
            );
        }
        let mut sound = true;
        for (field, value) in [
            ("area_mu", crop.area_mu),
            ("yield_kg", crop.yield_kg),
            ("straw_kg", crop.straw_kg),
        ] {
            sound &= self.optional_amount(&at(field), value);
        }
        for (field, value) in [
            ("fertilizer_kg", crop.fertilizer_kg),
            ("feed_kg", crop.feed_kg),
            ("substrate_kg", crop.substrate_kg),
            ("fuel_kg", crop.fuel_kg),
            ("raw_material_kg", crop.raw_material_kg),
            ("burned_kg", crop.burned_kg),
            ("discarded_kg", crop.discarded_kg),
        ] {
            sound &= self.amount(&at(field), value);
        }
        let counted_kg = crop
            .straw_count
            .as_ref()
            .and_then(|count| self.straw_count(index, count));
        if crop.straw_kg.is_some() && crop.straw_count.is_some() {
            let (weighed, counted) = (Named::of(&at("straw_kg")), Named::of(&at("straw_count")));
            self.error(
                at("straw_kg"),
                IssueCode::ConflictingMeasures,
                format!(
                    "{}秸秆既填了{}又填了{},只能填一种:称了重就删去计数,数了捆(车)就删去实测量",
                    crop.crop.name_zh(),
                    weighed.zh(),
                    counted.zh()
                ),
                format!(
                    "{} straw has both {} and {}: give one of the two (delete the count if it was weighed, the weight if it was counted)",
                    crop.crop.name_en(),
                    weighed.en(),
                    counted.en()
                ),
            );
            return;
        }
        let accounted = crop.accounted_kg();
        match (crop.straw_kg, &crop.straw_count) {
            (Some(straw_kg), _) if sound => {
                if exceeds(accounted, straw_kg) {
                    self.error(
                        at("straw_kg"),
                        IssueCode::ExceedsWhole,
                        format!(
                            "{}秸秆的五项利用及露天焚烧、废弃合计 {accounted} 公斤,超过可收集秸秆量(实测){straw_kg} 公斤",
                            crop.crop.name_zh()
                        ),
                        format!(
                            "{} straw uses, burned in the open and discarded add up to {accounted} kg, more than the Collectable straw (measured) of {straw_kg} kg",
                            crop.crop.name_en()
                        ),
                    );
                }
            }
            (Some(_), _) => {}
            (None, Some(count)) => {
                if let (true, Some(total)) = (sound, counted_kg) {
                    if exceeds(accounted, total) {
                        let (n, each, unit) = (count.count, count.kg_each, count.unit);
                        self.error(
                            at("straw_count.count"),
                            IssueCode::ExceedsWhole,
                            format!(
                                "{}秸秆的五项利用及露天焚烧、废弃合计 {accounted} 公斤,超过计数的秸秆量 {n} {} × {each} 公斤 = {total} 公斤",
                                crop.crop.name_zh(),
                                unit.name_zh()
                            ),
                            format!(
                                "{} straw uses, burned in the open and discarded add up to {accounted} kg, more than the straw counted: {n} {} × {each} kg = {total} kg",
                                crop.crop.name_en(),
                                unit.name_en()
                            ),
                        );
                    }
                }
            }
            (None, None) if crop.crop == crate::survey::Crop::Other => self.error(
                at("straw_kg"),
                IssueCode::CannotEstimate,
                "其他作物没有草谷比,请填写可收集秸秆量(实测)(公斤),或数捆数(车数)并称一捆(一车)的重量".to_owned(),
                "other crops have no straw-to-grain ratio; enter the Collectable straw (measured) (kg), or count the bundles or cart-loads and weigh one"
                    .to_owned(),
            ),
            (None, None) if crop.yield_kg.is_none() => self.error(
                at("straw_kg"),
                IssueCode::CannotEstimate,
                "请填写可收集秸秆量(实测)(公斤),或数捆数(车数)并称一捆(一车)的重量,或填写产量(公斤)用于估算".to_owned(),
                "enter the Collectable straw (measured) (kg), or count the bundles or cart-loads and weigh one, or enter the Yield (kg) to estimate it from"
                    .to_owned(),
            ),
            (None, None) => {}
        }
    }

    /// The straw counted in bundles or cart-loads: the count a number of whole or half
    /// units, the weight of one above 0 and usual for the unit. Returns the amount
    /// counted when both numbers are sound, for the part-of-whole rule.
    fn straw_count(&mut self, index: usize, count: &StrawCount) -> Option<f64> {
        let at = |field: &str| format!("straw[{index}].straw_count.{field}");
        let unit = count.unit;
        let number = self.amount(&at("count"), count.count);
        if number && (count.count * 2.0).fract() != 0.0 {
            let n = count.count;
            self.warning(
                at("count"),
                IssueCode::ImplausibleCount,
                format!(
                    "数了 {n} {},不是整数或半数(半车记 0.5),请核实",
                    unit.name_zh()
                ),
                format!(
                    "{n} {} is not a whole or half number (half a cart-load is 0.5); please check",
                    unit.name_en()
                ),
            );
        }
        let weight_path = at("kg_each");
        let weight = self.amount(&weight_path, count.kg_each);
        if weight && count.kg_each == 0.0 {
            let named = Named::of(&weight_path);
            self.error(
                weight_path.as_str(),
                IssueCode::OutOfRange,
                format!(
                    "{}必须大于 0:请用手提秤称一{}(或几{}取平均)",
                    named.zh(),
                    unit.name_zh(),
                    unit.name_zh()
                ),
                format!(
                    "{} must be greater than 0: weigh one of the {} (or a few, and take the mean) with a hand scale",
                    named.en(),
                    unit.name_en()
                ),
            );
            return None;
        }
        if weight {
            let (low, high) = unit.plausible_kg_each();
            let kg = count.kg_each;
            if !(low..=high).contains(&kg) {
                let (hint_zh, hint_en) = match unit {
                    StrawCountUnit::Bundle if kg > high => {
                        ("是否应按车计数?", "were cart-loads counted?")
                    }
                    StrawCountUnit::Cartload if kg < low => {
                        ("是否应按捆计数?", "were bundles counted?")
                    }
                    _ => ("请核实称重和单位", "check the weighing and the unit"),
                };
                let (one_zh, one_en) = match unit {
                    StrawCountUnit::Bundle => ("每捆", "One bundle"),
                    StrawCountUnit::Cartload => ("每车", "One cart-load"),
                };
                self.warning(
                    weight_path.as_str(),
                    IssueCode::ImplausibleUnitWeight,
                    format!(
                        "{one_zh}重 {kg} 公斤,超出常见范围 {low}–{high} 公斤,请核实({hint_zh})"
                    ),
                    format!(
                        "{one_en} weighing {kg} kg is outside the usual {low}–{high} kg; please check ({hint_en})"
                    ),
                );
            }
        }
        let total = count.total_kg();
        if number && weight && !total.is_finite() {
            self.not_finite(&at("count"));
            return None;
        }
        (number && weight).then_some(total)
    }

    fn yak_dung(&mut self, dung: &YakDungSection, coefficients: &Coefficients) {
        let mut sound = true;
        if let Some(head) = dung.yak_head {
            sound &= self.count("yak_dung.yak_head", head);
        }
        sound &= self.optional_amount("yak_dung.produced_kg", dung.produced_kg);
        for (path, value) in [
            ("yak_dung.fuel_kg", dung.fuel_kg),
            ("yak_dung.fertilizer_kg", dung.fertilizer_kg),
            ("yak_dung.other_kg", dung.other_kg),
            ("yak_dung.discarded_kg", dung.discarded_kg),
        ] {
            sound &= self.amount(path, value);
        }
        if !sound {
            return;
        }
        match (dung.produced_kg, dung.yak_head) {
            (Some(produced), _) => {
                let accounted = dung.accounted_kg();
                if exceeds(accounted, produced) {
                    self.error(
                        "yak_dung.produced_kg",
                        IssueCode::ExceedsWhole,
                        format!("牛粪各项利用及废弃合计 {accounted} 公斤,超过牛粪产生量(实测){produced} 公斤"),
                        format!("dung uses and discarded add up to {accounted} kg, more than the Dung produced (measured) of {produced} kg"),
                    );
                }
            }
            (None, Some(head)) if head > 0 => self.dung_within_herd(dung, head, coefficients),
            (None, Some(0)) if dung.accounted_kg() == 0.0 => {}
            (None, _) => self.error(
                "yak_dung.produced_kg",
                IssueCode::CannotEstimate,
                "请填写牛粪产生量(实测)(公斤),或填写牦牛存栏(头)用于估算".to_owned(),
                "enter the Dung produced (measured) (kg), or the Yaks kept (head) to estimate it from"
                    .to_owned(),
            ),
        }
    }

    /// Dung used against what `head` yaks produce in a year by the herd-size estimate
    /// (the one the facts use; called only when the produced amount is not measured).
    /// Without a confirmed coefficient there is no estimate and nothing to compare.
    fn dung_within_herd(&mut self, dung: &YakDungSection, head: i64, coefficients: &Coefficients) {
        let Ok(estimate) = coefficients.dung_produced(dung) else {
            return;
        };
        let used = dung.utilized_kg();
        let estimate_kg = estimate.kg;
        if exceeds(used, DUNG_USED_PER_ESTIMATE_MAX * estimate_kg) {
            self.warning(
                "yak_dung.yak_head",
                IssueCode::DungUsedBeyondHerd,
                format!(
                    "燃料利用、肥料利用和其他利用合计 {used} 公斤,超过牦牛存栏 {head} 头按估算一年产粪约 {estimate_kg:.0} 公斤的两倍:请核实存栏头数和各项利用量,或填写实测的牛粪产生量"
                ),
                format!(
                    "Dung used as fuel, as fertilizer and for other uses adds up to {used} kg, more than twice the {estimate_kg:.0} kg a year that {head} yaks kept produce by the estimate: please check the number of yaks and the amounts used, or give the measured dung produced"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::parse_survey;

    const EXAMPLE: &str = include_str!("../data/example-survey.json");

    fn ctx<'a>(regions: &'a RegionTable, coefficients: &'a Coefficients) -> ValidationContext<'a> {
        ValidationContext {
            regions,
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            coefficients,
        }
    }

    /// Applies `edit` to the example survey's JSON and returns every issue found with
    /// `coefficients`.
    fn issues_with(
        coefficients: &Coefficients,
        edit: impl FnOnce(&mut serde_json::Value),
    ) -> Vec<Issue> {
        let mut value: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap_or_default();
        edit(&mut value);
        // An edit that makes the survey a JSON string gives the text to parse as it is.
        let text = match value.as_str() {
            Some(raw) => raw.to_owned(),
            None => value.to_string(),
        };
        let survey = match parse_survey(&text) {
            Ok(survey) => survey,
            Err(issue) => return vec![issue],
        };
        let regions = RegionTable::builtin();
        validate(&survey, &ctx(&regions, coefficients))
    }

    /// Applies `edit` to the example survey's JSON and returns the codes found at each path.
    fn check(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<(String, IssueCode)> {
        issues_with(&Coefficients::builtin(), edit)
            .into_iter()
            .map(|i| (i.path, i.code))
            .collect()
    }

    /// The paths of the issues with `code`.
    fn codes(found: &[(String, IssueCode)], code: IssueCode) -> Vec<&str> {
        found
            .iter()
            .filter(|(_, c)| *c == code)
            .map(|(p, _)| p.as_str())
            .collect()
    }

    /// Sets the example's dung section to `head` yaks, nothing measured, and `used_kg`
    /// used (split between fuel and fertilizer, as sums are where rounding bites).
    fn dung(v: &mut serde_json::Value, head: i64, used_kg: f64) {
        v["yak_dung"] = serde_json::json!({
            "yak_head": head, "fuel_kg": used_kg * 0.75, "fertilizer_kg": used_kg * 0.25,
            "other_kg": 0.0, "discarded_kg": 100.0
        });
    }

    /// What `head` yaks produce in a year by the shipped coefficient, computed as the
    /// facts compute it.
    fn herd_estimate_kg(head: i64) -> f64 {
        head as f64 * crate::coefficients::DAYS_PER_YEAR * 2.15
    }

    #[test]
    fn dung_used_up_to_twice_the_herd_estimate_is_not_flagged() {
        for head in [1, 25, 300] {
            let at_limit = 2.0 * herd_estimate_kg(head);
            let found = check(|v| dung(v, head, at_limit));
            assert!(
                codes(&found, IssueCode::DungUsedBeyondHerd).is_empty(),
                "{head} yaks, exactly twice: {found:?}"
            );
        }
        // The reference example (25 yaks, 15 000 kg used of about 19 619 kg) is clean.
        assert!(codes(&check(|_| {}), IssueCode::DungUsedBeyondHerd).is_empty());
    }

    #[test]
    fn dung_used_just_beyond_twice_the_herd_estimate_is_a_warning_naming_herd_and_estimate() {
        let just_above = 2.0 * herd_estimate_kg(25) + 1.0;
        let issues = issues_with(&Coefficients::builtin(), |v| dung(v, 25, just_above));
        let warned: Vec<&Issue> = issues
            .iter()
            .filter(|i| i.code == IssueCode::DungUsedBeyondHerd)
            .collect();
        assert_eq!(warned.len(), 1, "{issues:?}");
        let warning = warned[0];
        assert!(!warning.is_error(), "a warning: the survey is kept");
        assert!(!has_errors(&issues), "{issues:?}");
        assert_eq!(warning.path, "yak_dung.yak_head");
        // The herd size and the estimate (25 × 365 × 2.15 = 19 618.75 kg), in the form's
        // words and units, never a wire path.
        for text in [&warning.message_zh, &warning.message_en] {
            assert!(text.contains("25") && text.contains("19619"), "{text}");
            assert!(
                !text.contains("yak_dung") && !text.contains("_kg"),
                "{text}"
            );
        }
        assert!(warning.message_zh.contains("牦牛存栏") && warning.message_zh.contains("公斤"));
        assert!(warning.message_en.contains("yaks kept") && warning.message_en.contains("kg"));
    }

    #[test]
    fn dung_measured_or_without_a_coefficient_is_not_compared_with_the_herd() {
        let far_above = 10.0 * herd_estimate_kg(25);
        // Measured: the measurement is the whole, and uses within it are fine.
        let found = check(|v| {
            dung(v, 25, far_above);
            v["yak_dung"]["produced_kg"] = serde_json::json!(far_above + 100.0);
        });
        assert!(
            codes(&found, IssueCode::DungUsedBeyondHerd).is_empty(),
            "{found:?}"
        );
        assert!(
            !found.iter().any(|(_, c)| *c == IssueCode::ExceedsWhole),
            "{found:?}"
        );
        // No confirmed coefficient: no estimate to compare with.
        let warned = |coefficients: &Coefficients| {
            issues_with(coefficients, |v| dung(v, 25, far_above))
                .iter()
                .any(|i| i.code == IssueCode::DungUsedBeyondHerd)
        };
        assert!(!warned(&Coefficients::empty()));
        // The coefficient passed in is the one used: a bureau's higher per-head value
        // makes the same amounts plausible.
        let mut generous = Coefficients::builtin();
        generous.yak_dung_kg_per_head_day = Some(2.15 * 5.0);
        assert!(!warned(&generous));
        assert!(warned(&Coefficients::builtin()));
    }

    #[test]
    fn packages_returned_beyond_used_are_a_warning_asking_about_earlier_years() {
        use serde_json::json;
        // Returned = used, in count and in kg: nothing to ask.
        let found = check(|v| {
            v["pesticide_packaging"]["returned_count"] = json!(30);
            v["pesticide_packaging"]["returned_kg"] = json!(3.2);
        });
        assert!(
            codes(&found, IssueCode::ReturnedExceedsUsed).is_empty(),
            "{found:?}"
        );
        // One more: a warning at each, the record valid.
        let issues = issues_with(&Coefficients::builtin(), |v| {
            v["pesticide_packaging"]["returned_count"] = json!(31);
            v["pesticide_packaging"]["returned_kg"] = json!(3.3);
        });
        assert!(!has_errors(&issues), "{issues:?}");
        let warned: Vec<&Issue> = issues
            .iter()
            .filter(|i| i.code == IssueCode::ReturnedExceedsUsed)
            .collect();
        let paths: Vec<&str> = warned.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "pesticide_packaging.returned_count",
                "pesticide_packaging.returned_kg"
            ]
        );
        for warning in warned {
            assert!(!warning.is_error());
            assert!(
                warning.message_zh.contains("往年"),
                "{}",
                warning.message_zh
            );
            assert!(
                warning.message_en.contains("earlier years") && warning.message_en.contains('?')
            );
            for text in [&warning.message_zh, &warning.message_en] {
                assert!(!text.contains("pesticide_packaging"), "{text}");
            }
        }
        // Unlike the other sections, where a part beyond its whole rejects the survey.
        let found = check(|v| v["film"]["recovered_kg"] = json!(42.5));
        assert!(found.contains(&("film.recovered_kg".to_owned(), IssueCode::ExceedsWhole)));
    }

    fn expect(edit: impl FnOnce(&mut serde_json::Value), path: &str, code: IssueCode) {
        let found = check(edit);
        assert!(
            found.iter().any(|(p, c)| p == path && *c == code),
            "expected {code:?} at {path}, found {found:?}"
        );
    }

    #[test]
    fn the_reference_example_is_clean() {
        assert_eq!(check(|_| {}), vec![]);
    }

    #[test]
    fn errors_name_the_field() {
        for (edit, path, code) in CASES {
            expect(edit, path, *code);
        }
    }

    #[test]
    fn warnings_do_not_reject() {
        use serde_json::json;
        let found = check(|v| {
            v["pesticide_packaging"]["returned_count"] = json!(40);
            v["film"]["thickness_mm"] = json!(0.5);
            v["location"] = json!({"lat": 36.6, "lon": 101.8});
            v["township"] = json!("");
        });
        let codes: Vec<IssueCode> = found.iter().map(|(_, c)| *c).collect();
        assert!(codes.contains(&IssueCode::ReturnedExceedsUsed));
        assert!(codes.contains(&IssueCode::ImplausibleThickness));
        assert!(codes.contains(&IssueCode::OutsideCounty));
        assert!(codes.contains(&IssueCode::MissingPlace));
        assert!(
            check(|v| v["location"] = json!({"lat": 48.8, "lon": 2.3}))
                .contains(&("location".to_owned(), IssueCode::OutsideChina))
        );
    }

    #[test]
    fn decimal_sums_are_not_rejected() {
        use serde_json::json;
        let found = check(|v| {
            v["film"] = json!({"used_kg": 0.3, "recovered_kg": 0.1, "degradable_kg": 0.0});
            v["straw"] =
                json!([{"crop": "potato", "straw_kg": 0.3, "feed_kg": 0.1, "fuel_kg": 0.2}]);
        });
        assert!(
            found.iter().all(|(_, c)| *c != IssueCode::ExceedsWhole),
            "{found:?}"
        );
    }

    type Edit = fn(&mut serde_json::Value);

    /// A way to break the example for every issue code, with the path and code it must
    /// give: what `errors_name_the_field` checks and what the message test words.
    const CASES: &[(Edit, &str, IssueCode)] = {
        use serde_json::json;
        &[
            (|v| *v = json!("{"), "", IssueCode::InvalidJson),
            (
                |v| {
                    if let Some(film) = v["film"].as_object_mut() {
                        film.remove("used_kg");
                    }
                },
                "film.used_kg",
                IssueCode::MissingField,
            ),
            (
                |v| v["film"]["recoverd_kg"] = json!(1),
                "film.recoverd_kg",
                IssueCode::UnknownField,
            ),
            (
                |v| v["pesticide_packaging"]["used_count"] = json!(2.5),
                "pesticide_packaging.used_count",
                IssueCode::InvalidValue,
            ),
            (
                |v| v["straw"][0]["straw_kg"] = json!("lots"),
                "straw[0].straw_kg",
                IssueCode::InvalidValue,
            ),
            (
                |v| v["straw"][0]["crop"] = json!("rice"),
                "straw[0].crop",
                IssueCode::InvalidValue,
            ),
            (
                |v| v["surveyed_on"] = json!("14/09/2025"),
                "surveyed_on",
                IssueCode::InvalidValue,
            ),
            (
                |v| v["film"]["recovery_channel"] = json!("river"),
                "film.recovery_channel",
                IssueCode::InvalidValue,
            ),
            (
                |v| v["household"] = json!("  "),
                "household",
                IssueCode::Required,
            ),
            (
                |v| {
                    for key in ["film", "pesticide_packaging", "straw", "yak_dung"] {
                        if let Some(survey) = v.as_object_mut() {
                            survey.remove(key);
                        }
                    }
                },
                "",
                IssueCode::NoSection,
            ),
            (
                |v| v["film"]["used_kg"] = json!(-1),
                "film.used_kg",
                IssueCode::Negative,
            ),
            (
                |v| v["pesticide_packaging"]["used_count"] = json!(-3),
                "pesticide_packaging.used_count",
                IssueCode::Negative,
            ),
            (|v| v["weight"] = json!(0), "weight", IssueCode::OutOfRange),
            (
                |v| v["location"]["lat"] = json!(95),
                "location.lat",
                IssueCode::OutOfRange,
            ),
            (
                |v| v["film"]["thickness_mm"] = json!(0),
                "film.thickness_mm",
                IssueCode::OutOfRange,
            ),
            (
                |v| v["film"]["recovered_kg"] = json!(50),
                "film.recovered_kg",
                IssueCode::ExceedsWhole,
            ),
            (
                |v| v["film"]["degradable_kg"] = json!(43),
                "film.degradable_kg",
                IssueCode::ExceedsWhole,
            ),
            (
                |v| v["straw"][0]["discarded_kg"] = json!(1000),
                "straw[0].straw_kg",
                IssueCode::ExceedsWhole,
            ),
            (
                |v| v["yak_dung"]["produced_kg"] = json!(1000),
                "yak_dung.produced_kg",
                IssueCode::ExceedsWhole,
            ),
            (
                |v| v["county_code"] = json!("999999"),
                "county_code",
                IssueCode::UnknownCounty,
            ),
            (
                |v| v["county_code"] = json!("542500"),
                "county_code",
                IssueCode::NotACounty,
            ),
            (
                |v| v["surveyed_on"] = json!("2026-01-02"),
                "surveyed_on",
                IssueCode::FutureDate,
            ),
            (
                |v| v["surveyed_on"] = json!("1925-09-14"),
                "surveyed_on",
                IssueCode::DateTooOld,
            ),
            (
                |v| {
                    let first = v["straw"][0].clone();
                    if let Some(crops) = v["straw"].as_array_mut() {
                        crops.push(first);
                    }
                },
                "straw[1].crop",
                IssueCode::DuplicateCrop,
            ),
            (
                |v| {
                    v["straw"][0]["straw_kg"] = json!(null);
                    v["straw"][0]["yield_kg"] = json!(null);
                },
                "straw[0].straw_kg",
                IssueCode::CannotEstimate,
            ),
            (
                |v| {
                    v["straw"][0]["crop"] = json!("other");
                    v["straw"][0]["straw_kg"] = json!(null);
                },
                "straw[0].straw_kg",
                IssueCode::CannotEstimate,
            ),
            (
                |v| v["yak_dung"]["yak_head"] = json!(null),
                "yak_dung.produced_kg",
                IssueCode::CannotEstimate,
            ),
            (
                |v| v["pesticide_packaging"]["returned_count"] = json!(40),
                "pesticide_packaging.returned_count",
                IssueCode::ReturnedExceedsUsed,
            ),
            (
                |v| v["pesticide_packaging"]["returned_kg"] = json!(4),
                "pesticide_packaging.returned_kg",
                IssueCode::ReturnedExceedsUsed,
            ),
            (
                |v| dung(v, 25, 3.0 * herd_estimate_kg(25)),
                "yak_dung.yak_head",
                IssueCode::DungUsedBeyondHerd,
            ),
            (
                |v| v["film"]["area_mu"] = json!(1),
                "film.used_kg",
                IssueCode::ImplausibleFilmPerMu,
            ),
            (
                |v| v["film"]["thickness_mm"] = json!(0.5),
                "film.thickness_mm",
                IssueCode::ImplausibleThickness,
            ),
            (
                |v| v["location"] = json!({"lat": 36.6, "lon": 101.8}),
                "location",
                IssueCode::OutsideCounty,
            ),
            (
                |v| v["location"] = json!({"lat": 48.8, "lon": 2.3}),
                "location",
                IssueCode::OutsideChina,
            ),
            (
                |v| v["township"] = json!(""),
                "township",
                IssueCode::MissingPlace,
            ),
            (
                |v| v["village"] = json!(""),
                "village",
                IssueCode::MissingPlace,
            ),
            (
                |v| {
                    v["straw"][0]["straw_count"] =
                        json!({"unit": "bundle", "count": 80, "kg_each": 20});
                },
                "straw[0].straw_kg",
                IssueCode::ConflictingMeasures,
            ),
            (
                |v| counted(v, "bundle", 20.0, 80.0),
                "straw[0].straw_count.kg_each",
                IssueCode::ImplausibleUnitWeight,
            ),
            (
                |v| counted(v, "bundle", 80.3, 20.0),
                "straw[0].straw_count.count",
                IssueCode::ImplausibleCount,
            ),
            (
                |v| counted(v, "bundle", 60.0, 20.0),
                "straw[0].straw_count.count",
                IssueCode::ExceedsWhole,
            ),
            (
                |v| counted(v, "bundle", 80.0, 0.0),
                "straw[0].straw_count.kg_each",
                IssueCode::OutOfRange,
            ),
            (
                |v| counted(v, "bundle", 80.0, -20.0),
                "straw[0].straw_count.kg_each",
                IssueCode::Negative,
            ),
            (
                |v| counted(v, "bundle", -80.0, 20.0),
                "straw[0].straw_count.count",
                IssueCode::Negative,
            ),
            (
                |v| {
                    v["straw"][0]["straw_count"] =
                        json!({"unit": "sack", "count": 3, "kg_each": 20})
                },
                "straw[0].straw_count.unit",
                IssueCode::InvalidValue,
            ),
            (
                |v| {
                    v["straw"][0]["straw_kg"] = json!(null);
                    v["straw"][0]["straw_count"] = json!({"unit": "bundle", "count": 80});
                },
                "straw[0].straw_count.kg_each",
                IssueCode::MissingField,
            ),
        ]
    };

    /// Replaces the example's weighed 青稞 straw (1 600 kg; 1 400 kg used or discarded)
    /// by `count` bundles or cart-loads of `kg_each` kg.
    fn counted(v: &mut serde_json::Value, unit: &str, count: f64, kg_each: f64) {
        v["straw"][0]["straw_kg"] = serde_json::Value::Null;
        v["straw"][0]["straw_count"] =
            serde_json::json!({"unit": unit, "count": count, "kg_each": kg_each});
    }

    #[test]
    fn a_counted_crop_is_valid_without_a_ratio_and_its_total_is_the_whole() {
        // 80 bundles of 20 kg = 1 600 kg, the weighed amount it replaces: as clean as the
        // example, with or without any coefficient.
        assert_eq!(check(|v| counted(v, "bundle", 80.0, 20.0)), vec![]);
        let none = issues_with(&Coefficients::empty(), |v| {
            counted(v, "bundle", 80.0, 20.0);
            v["straw"][0]["yield_kg"] = serde_json::Value::Null;
        });
        assert!(
            !none.iter().any(|i| i.path.starts_with("straw")),
            "{none:?}"
        );
        // Uses of exactly the total are fine; a tenth of a kg more is not.
        assert!(
            codes(
                &check(|v| counted(v, "bundle", 70.0, 20.0)),
                IssueCode::ExceedsWhole
            )
            .is_empty()
        );
        assert_eq!(
            codes(
                &check(|v| counted(v, "bundle", 69.995, 20.0)),
                IssueCode::ExceedsWhole
            ),
            ["straw[0].straw_count.count"]
        );
        let issues = issues_with(&Coefficients::builtin(), |v| {
            counted(v, "cartload", 2.0, 300.0)
        });
        let Some(issue) = issues.iter().find(|i| i.code == IssueCode::ExceedsWhole) else {
            panic!("{issues:?}")
        };
        assert_eq!(
            issue.message_zh,
            "青稞秸秆的五项利用及露天焚烧、废弃合计 1400 公斤,超过计数的秸秆量 2 车 × 300 公斤 = 600 公斤"
        );
        assert_eq!(
            issue.message_en,
            "highland barley straw uses, burned in the open and discarded add up to 1400 kg, more than the straw counted: 2 cart-loads × 300 kg = 600 kg"
        );
    }

    #[test]
    fn the_weight_of_one_bundle_or_cart_load_is_flagged_outside_its_usual_range() {
        let warned = |unit: &str, kg_each: f64| {
            // Enough units that the total covers the example's 1 400 kg of uses.
            let count = (1600.0 / kg_each).ceil();
            let issues = issues_with(&Coefficients::builtin(), |v| {
                counted(v, unit, count, kg_each)
            });
            assert!(!has_errors(&issues), "{unit} {kg_each}: {issues:?}");
            issues
                .iter()
                .any(|i| i.code == IssueCode::ImplausibleUnitWeight && !i.is_error())
        };
        for (unit, low, high) in [("bundle", 2.0, 60.0), ("cartload", 100.0, 1500.0)] {
            assert!(!warned(unit, low), "{unit} {low}");
            assert!(!warned(unit, high), "{unit} {high}");
            assert!(warned(unit, low - 0.01), "{unit} below");
            assert!(warned(unit, high + 0.01), "{unit} above");
        }
        // The warning says what may have gone wrong, in the form's words.
        let issues = issues_with(&Coefficients::builtin(), |v| {
            counted(v, "bundle", 20.0, 80.0)
        });
        let Some(issue) = issues
            .iter()
            .find(|i| i.code == IssueCode::ImplausibleUnitWeight)
        else {
            panic!("{issues:?}")
        };
        assert_eq!(
            issue.message_zh,
            "每捆重 80 公斤,超出常见范围 2–60 公斤,请核实(是否应按车计数?)"
        );
        assert_eq!(
            issue.message_en,
            "One bundle weighing 80 kg is outside the usual 2–60 kg; please check (were cart-loads counted?)"
        );
    }

    #[test]
    fn a_count_is_whole_or_half_and_a_weight_of_one_is_above_zero() {
        let at = |unit: &str, count: f64, kg_each: f64| {
            issues_with(&Coefficients::builtin(), |v| {
                counted(v, unit, count, kg_each);
                // No uses, so that a count of 0 is a whole of 0.
                for use_ in ["fertilizer_kg", "feed_kg", "fuel_kg", "discarded_kg"] {
                    v["straw"][0][use_] = serde_json::json!(0);
                }
            })
        };
        let found = |issues: &[Issue]| -> Vec<(String, IssueCode, bool)> {
            issues
                .iter()
                .map(|i| (i.path.clone(), i.code, i.is_error()))
                .collect()
        };
        assert_eq!(found(&at("cartload", 3.5, 400.0)), vec![]);
        assert_eq!(found(&at("bundle", 0.0, 15.0)), vec![]);
        let count = "straw[0].straw_count.count".to_owned();
        let weight = "straw[0].straw_count.kg_each".to_owned();
        assert_eq!(
            found(&at("cartload", 3.25, 400.0)),
            vec![(count.clone(), IssueCode::ImplausibleCount, false)]
        );
        assert_eq!(
            found(&at("bundle", -1.0, 15.0)),
            vec![(count.clone(), IssueCode::Negative, true)]
        );
        assert_eq!(
            found(&at("bundle", 12.0, 0.0)),
            vec![(weight.clone(), IssueCode::OutOfRange, true)]
        );
        assert_eq!(
            found(&at("bundle", 12.0, -15.0)),
            vec![(weight.clone(), IssueCode::Negative, true)]
        );
        // Not a number at all (only a program can write it; JSON cannot).
        let Ok(mut survey) = parse_survey(EXAMPLE) else {
            panic!("example")
        };
        survey.straw[0].straw_kg = None;
        survey.straw[0].straw_count = Some(StrawCount {
            unit: StrawCountUnit::Bundle,
            count: f64::NAN,
            kg_each: f64::INFINITY,
        });
        let issues = validate_example(&survey);
        assert_eq!(
            found(&issues),
            vec![
                (count.clone(), IssueCode::NotFinite, true),
                (weight.clone(), IssueCode::NotFinite, true)
            ]
        );
        // The zero weight asks for a weighing, naming the field by its label.
        let issues = at("bundle", 12.0, 0.0);
        assert_eq!(
            issues[0].message_zh,
            "每捆或每车重量(公斤)必须大于 0:请用手提秤称一捆(或几捆取平均)"
        );
    }

    #[test]
    fn a_crop_weighed_and_counted_is_refused_naming_both_fields() {
        let issues = issues_with(&Coefficients::builtin(), |v| {
            v["straw"][0]["straw_count"] =
                serde_json::json!({"unit": "bundle", "count": 80, "kg_each": 20});
        });
        let conflicts: Vec<&Issue> = issues
            .iter()
            .filter(|i| i.code == IssueCode::ConflictingMeasures)
            .collect();
        assert_eq!(conflicts.len(), 1, "{issues:?}");
        let issue = conflicts[0];
        assert!(issue.is_error());
        assert_eq!(issue.path, "straw[0].straw_kg");
        assert!(
            issue.message_zh.contains("可收集秸秆量(实测)(公斤)")
                && issue.message_zh.contains("秸秆计数")
        );
        assert!(
            issue
                .message_en
                .contains("Collectable straw (measured) (kg)")
                && issue.message_en.contains("Straw counted")
        );
        // One message for the conflict, not a part-of-whole check against either amount.
        assert!(!issues.iter().any(|i| i.code == IssueCode::ExceedsWhole));
    }

    #[test]
    fn a_weight_of_one_left_out_is_asked_for_without_suggesting_zero() {
        let issues = issues_with(&Coefficients::builtin(), |v| {
            v["straw"][0]["straw_kg"] = serde_json::Value::Null;
            v["straw"][0]["straw_count"] = serde_json::json!({"unit": "bundle", "count": 80});
        });
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].message_zh, "请填写每捆或每车重量(公斤)");
        assert_eq!(
            issues[0].message_en,
            "enter Weight of one bundle or cart-load (kg)"
        );
    }

    /// One issue of every code (and more): each case of [`CASES`], and what only a
    /// program building surveys can write (not a number at all cannot be written in JSON).
    fn one_issue_of_every_code() -> Vec<Issue> {
        let mut issues: Vec<Issue> = CASES
            .iter()
            .flat_map(|(edit, _, _)| issues_with(&Coefficients::builtin(), edit))
            .collect();
        if let Ok(mut survey) = parse_survey(EXAMPLE) {
            survey.weight = f64::NAN;
            if let Some(film) = survey.film.as_mut() {
                film.used_kg = f64::INFINITY;
            }
            survey.straw[0].feed_kg = f64::NAN;
            issues.extend(validate_example(&survey));
        }
        issues
    }

    fn validate_example(survey: &Survey) -> Vec<Issue> {
        let regions = RegionTable::builtin();
        let coefficients = Coefficients::builtin();
        validate(survey, &ctx(&regions, &coefficients))
    }

    #[test]
    fn every_issue_code_has_a_message_a_technician_can_read_in_both_languages() {
        let issues = one_issue_of_every_code();
        let missing: Vec<IssueCode> = IssueCode::ALL
            .into_iter()
            .filter(|code| !issues.iter().any(|i| i.code == *code))
            .collect();
        assert!(missing.is_empty(), "no message seen for {missing:?}");
        for issue in &issues {
            for text in [&issue.message_zh, &issue.message_en] {
                assert!(!text.trim().is_empty(), "{issue:?}");
                let bad = crate::labels::unreadable_words(text);
                assert!(
                    bad.is_empty(),
                    "{:?} at {}: {text:?} has {bad:?}",
                    issue.code,
                    issue.path
                );
            }
            assert!(!issue.message_zh.is_ascii(), "{issue:?}");
        }
    }

    #[test]
    fn a_field_with_a_value_is_named_by_label_value_and_unit() {
        let issues = issues_with(&Coefficients::builtin(), |v| {
            v["film"]["recovered_kg"] = serde_json::json!(50)
        });
        let issue = issues.iter().find(|i| i.code == IssueCode::ExceedsWhole);
        let Some(issue) = issue else {
            panic!("{issues:?}")
        };
        assert_eq!(issue.path, "film.recovered_kg");
        assert_eq!(
            issue.message_zh,
            "地膜回收量(50 公斤)不能大于地膜使用量(42 公斤)"
        );
        assert_eq!(
            issue.message_en,
            "Film recovered (50 kg) cannot exceed Film used (42 kg)"
        );
    }
}
