//! The rules a survey must satisfy (REFERENCE.md, "Units and plausibility").
//!
//! One implementation serves the phone (through WASM, before submission) and the server
//! (before storage), so a technician never sees a survey accepted offline and rejected at
//! sync for a rule the phone did not know.
//!
//! Errors reject the survey: negative amounts, NaN/Inf, a part exceeding its whole,
//! unknown county, a date in the future, missing identity. Warnings are stored with it:
//! implausible film use per mu or thickness, a GPS point outside the county's rough box
//! or outside China, pesticide packages returned beyond those used (returns of earlier
//! years happen, REFERENCE.md).

use chrono::NaiveDate;

use crate::issue::{Issue, IssueCode};
use crate::regions::{CHINA, RegionLevel, RegionTable};
use crate::survey::{
    FilmSection, GeoPoint, PesticidePackagingSection, StrawCrop, Survey, YakDungSection,
};

/// Typical film use per mu (kg/mu); outside this range the survey is flagged.
pub const FILM_PER_MU_RANGE_KG: (f64, f64) = (2.0, 10.0);
/// Plausible film thickness (mm); outside this range the survey is flagged.
pub const THICKNESS_RANGE_MM: (f64, f64) = (0.005, 0.2);
/// Surveys dated before this are taken as typing mistakes.
pub const EARLIEST_SURVEY_DATE: (i32, u32, u32) = (2000, 1, 1);

/// What the rules need to know beyond the survey itself.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// The region table, for the county code.
    pub regions: &'a RegionTable,
    /// Today's date where the survey is taken (China Standard Time); later dates are
    /// rejected.
    pub today: NaiveDate,
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
            "调查至少需要填写一个部分(地膜、农药包装、秸秆、牦牛粪)".to_owned(),
            "a survey needs at least one section (film, pesticide_packaging, straw, yak_dung)"
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
        check.yak_dung(dung);
    }
    check.issues
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
            self.error(
                path,
                IssueCode::NotFinite,
                format!("{path} 必须是有限数值"),
                format!("{path} must be a finite number"),
            );
            false
        } else if value < 0.0 {
            self.error(
                path,
                IssueCode::Negative,
                format!("{path} 不能为负数(填写的是 {value})"),
                format!("{path} cannot be negative (got {value})"),
            );
            false
        } else {
            true
        }
    }

    fn optional_amount(&mut self, path: &str, value: Option<f64>) -> bool {
        value.is_none_or(|v| self.amount(path, v))
    }

    fn count(&mut self, path: &str, value: i64) -> bool {
        if value < 0 {
            self.error(
                path,
                IssueCode::Negative,
                format!("{path} 不能为负数(填写的是 {value})"),
                format!("{path} cannot be negative (got {value})"),
            );
            return false;
        }
        true
    }

    fn part_of_whole(&mut self, part_path: &str, part: f64, whole_path: &str, whole: f64) {
        if exceeds(part, whole) {
            self.error(
                part_path,
                IssueCode::ExceedsWhole,
                format!("{part_path}({part})不能大于 {whole_path}({whole})"),
                format!("{part_path} ({part}) cannot exceed {whole_path} ({whole})"),
            );
        }
    }

    fn required_text(&mut self, path: &str, value: &str, what_zh: &str) {
        if value.trim().is_empty() {
            self.error(
                path,
                IssueCode::Required,
                format!("{what_zh}({path})不能为空"),
                format!("{path} is required"),
            );
        }
    }

    fn identity(&mut self, survey: &Survey, ctx: &ValidationContext<'_>) {
        self.required_text("household", &survey.household, "农户名称或编号");
        self.required_text("technician", &survey.technician, "调查员");
        match ctx.regions.get(&survey.county_code) {
            None => self.error(
                "county_code",
                IssueCode::UnknownCounty,
                format!("县级区划代码 {} 不存在", survey.county_code),
                format!("county code {:?} is not a known county", survey.county_code),
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
        for (path, value, zh) in [
            ("township", &survey.township, "乡镇"),
            ("village", &survey.village, "村"),
        ] {
            if value.trim().is_empty() {
                self.warning(
                    path,
                    IssueCode::MissingPlace,
                    format!("未填写{zh}({path})"),
                    format!("{path} is not given"),
                );
            }
        }
        if survey.surveyed_on > ctx.today {
            self.error(
                "surveyed_on",
                IssueCode::FutureDate,
                format!("调查日期 {} 晚于今天 {}", survey.surveyed_on, ctx.today),
                format!(
                    "surveyed_on {} is after today ({})",
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
                    "surveyed_on {} is implausibly early; check the year",
                    survey.surveyed_on
                ),
            );
        }
        if !survey.weight.is_finite() {
            self.error(
                "weight",
                IssueCode::NotFinite,
                "抽样权重必须是有限数值".to_owned(),
                "weight must be a finite number".to_owned(),
            );
        } else if survey.weight <= 0.0 {
            self.error(
                "weight",
                IssueCode::OutOfRange,
                format!("抽样权重必须大于 0(填写的是 {})", survey.weight),
                format!("weight must be greater than 0 (got {})", survey.weight),
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
                self.error(
                    path,
                    IssueCode::NotFinite,
                    format!("{path} 必须是有限数值"),
                    format!("{path} must be a finite number"),
                );
            } else if value.abs() > limit {
                sound = false;
                self.error(
                    path,
                    IssueCode::OutOfRange,
                    format!("{path} 必须在 -{limit} 到 {limit} 之间(填写的是 {value})"),
                    format!("{path} must lie between -{limit} and {limit} (got {value})"),
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
                        format!("每亩用膜 {per_mu:.2} kg,超出常见范围 {low}–{high} kg/亩,请核实"),
                        format!(
                            "film use of {per_mu:.2} kg per mu is outside the usual {low}–{high} kg/mu; please check"
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
                    "film.thickness_mm must be greater than 0; leave it empty when unknown"
                        .to_owned(),
                );
            } else if !(low..=high).contains(&mm) {
                self.warning(
                    "film.thickness_mm",
                    IssueCode::ImplausibleThickness,
                    format!("地膜厚度 {mm} mm 超出合理范围 {low}–{high} mm,请核实单位"),
                    format!("film thickness {mm} mm is outside {low}–{high} mm; check the unit"),
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
            self.warning(
                "pesticide_packaging.returned_count",
                IssueCode::ReturnedExceedsUsed,
                format!(
                    "回收包装 {} 个多于使用的 {} 个(可能含往年包装),已接受并标记",
                    packaging.returned_count, packaging.used_count
                ),
                format!(
                    "{} packages returned but {} used (returns of earlier years?): accepted and flagged",
                    packaging.returned_count, packaging.used_count
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
                    format!("回收包装 {returned_kg} kg 多于使用的 {used_kg} kg,已接受并标记"),
                    format!("{returned_kg} kg of packaging returned but {used_kg} kg used: accepted and flagged"),
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
                    "crop {} appears twice; give each crop once",
                    crop.crop.key()
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
        match crop.straw_kg {
            Some(straw_kg) if sound => {
                let accounted = crop.accounted_kg();
                if exceeds(accounted, straw_kg) {
                    self.error(
                        at("straw_kg"),
                        IssueCode::ExceedsWhole,
                        format!(
                            "{} 秸秆各项利用及焚烧、丢弃合计 {accounted} kg,超过可收集量 {straw_kg} kg",
                            crop.crop.name_zh()
                        ),
                        format!(
                            "{} straw uses, burned and discarded add up to {accounted} kg, more than the {straw_kg} kg collectable",
                            crop.crop.name_en()
                        ),
                    );
                }
            }
            Some(_) => {}
            None if crop.crop == crate::survey::Crop::Other => self.error(
                at("straw_kg"),
                IssueCode::CannotEstimate,
                "其他作物没有草谷比,请填写实测秸秆量 straw_kg".to_owned(),
                "other crops have no straw-to-grain ratio; give the measured straw_kg".to_owned(),
            ),
            None if crop.yield_kg.is_none() => self.error(
                at("straw_kg"),
                IssueCode::CannotEstimate,
                "请填写秸秆量 straw_kg 或产量 yield_kg(用于估算)".to_owned(),
                "give straw_kg, or yield_kg to estimate it from".to_owned(),
            ),
            None => {}
        }
    }

    fn yak_dung(&mut self, dung: &YakDungSection) {
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
                        format!("牛粪各项利用及丢弃合计 {accounted} kg,超过产生量 {produced} kg"),
                        format!("dung uses and discards add up to {accounted} kg, more than the {produced} kg produced"),
                    );
                }
            }
            (None, Some(head)) if head > 0 => {}
            (None, Some(0)) if dung.accounted_kg() == 0.0 => {}
            (None, _) => self.error(
                "yak_dung.produced_kg",
                IssueCode::CannotEstimate,
                "请填写牛粪产生量 produced_kg 或牦牛头数 yak_head(用于估算)".to_owned(),
                "give produced_kg, or yak_head to estimate it from".to_owned(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::parse_survey;

    const EXAMPLE: &str = include_str!("../data/example-survey.json");

    fn ctx(regions: &RegionTable) -> ValidationContext<'_> {
        ValidationContext {
            regions,
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        }
    }

    /// Applies `edit` to the example survey's JSON and returns the codes found at each path.
    fn check(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<(String, IssueCode)> {
        let mut value: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap_or_default();
        edit(&mut value);
        let survey = match parse_survey(&value.to_string()) {
            Ok(survey) => survey,
            Err(issue) => return vec![(issue.path, issue.code)],
        };
        let regions = RegionTable::builtin();
        validate(&survey, &ctx(&regions))
            .into_iter()
            .map(|i| (i.path, i.code))
            .collect()
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
        use serde_json::json;
        expect(
            |v| v["film"]["used_kg"] = json!(-1),
            "film.used_kg",
            IssueCode::Negative,
        );
        expect(
            |v| v["film"]["recovered_kg"] = json!(50),
            "film.recovered_kg",
            IssueCode::ExceedsWhole,
        );
        expect(
            |v| v["film"]["degradable_kg"] = json!(43),
            "film.degradable_kg",
            IssueCode::ExceedsWhole,
        );
        expect(
            |v| v["county_code"] = json!("999999"),
            "county_code",
            IssueCode::UnknownCounty,
        );
        expect(
            |v| v["county_code"] = json!("542500"),
            "county_code",
            IssueCode::NotACounty,
        );
        expect(
            |v| v["surveyed_on"] = json!("2026-01-02"),
            "surveyed_on",
            IssueCode::FutureDate,
        );
        expect(
            |v| v["surveyed_on"] = json!("1925-09-14"),
            "surveyed_on",
            IssueCode::DateTooOld,
        );
        expect(
            |v| v["household"] = json!("  "),
            "household",
            IssueCode::Required,
        );
        expect(|v| v["weight"] = json!(0), "weight", IssueCode::OutOfRange);
        expect(
            |v| v["location"]["lat"] = json!(95),
            "location.lat",
            IssueCode::OutOfRange,
        );
        expect(
            |v| v["straw"][0]["discarded_kg"] = json!(1000),
            "straw[0].straw_kg",
            IssueCode::ExceedsWhole,
        );
        expect(
            |v| {
                let first = v["straw"][0].clone();
                if let Some(crops) = v["straw"].as_array_mut() {
                    crops.push(first);
                }
            },
            "straw[1].crop",
            IssueCode::DuplicateCrop,
        );
        expect(
            |v| {
                v["straw"][0]["straw_kg"] = json!(null);
                v["straw"][0]["yield_kg"] = json!(null);
            },
            "straw[0].straw_kg",
            IssueCode::CannotEstimate,
        );
        expect(
            |v| v["yak_dung"]["produced_kg"] = json!(1000),
            "yak_dung.produced_kg",
            IssueCode::ExceedsWhole,
        );
        expect(
            |v| {
                v["yak_dung"]["yak_head"] = json!(null);
            },
            "yak_dung.produced_kg",
            IssueCode::CannotEstimate,
        );
        expect(
            |v| v["pesticide_packaging"]["used_count"] = json!(-3),
            "pesticide_packaging.used_count",
            IssueCode::Negative,
        );
        expect(
            |v| {
                let obj = v.as_object_mut().map(std::mem::take).unwrap_or_default();
                *v = serde_json::Value::Object(
                    obj.into_iter()
                        .filter(|(k, _)| {
                            !["film", "pesticide_packaging", "straw", "yak_dung"]
                                .contains(&k.as_str())
                        })
                        .collect(),
                );
            },
            "",
            IssueCode::NoSection,
        );
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
}
