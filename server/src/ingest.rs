//! What a survey goes through before it is stored, whichever way it arrives: the API
//! (`POST`, batch and `PUT /api/v1/surveys`), `agriwaste import` and the demo seeding.
//!
//! No HTTP and no SQL here: the rules are the analytics crate's (the same the phone
//! runs), given the stored region table and today's date in China. What comes out is a
//! [`ValidatedSurvey`], the only thing `Storage` stores, so a survey that skipped
//! validation, or warnings typed by hand, cannot reach the database.

use agriwaste_analytics::coefficients::CoefficientTable;
use agriwaste_analytics::validation;
use agriwaste_analytics::{Issue, RegionTable, Survey};
use chrono::{NaiveDate, Utc};

/// Today's date in China Standard Time (UTC+8, no daylight saving), which Tibet and
/// Qinghai keep: the date a technician writes on a survey, so the latest date a survey
/// may carry.
pub fn today_in_china() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// A survey that passed validation, with the warnings validation found. Its fields are
/// private and [`validate`] is its only constructor: holding one proves the survey
/// meets the rules and that the warnings are the rules' own.
#[derive(Debug, Clone)]
pub struct ValidatedSurvey {
    survey: Survey,
    warnings: Vec<Issue>,
}

impl ValidatedSurvey {
    /// The survey's content.
    pub fn survey(&self) -> &Survey {
        &self.survey
    }

    /// The warnings stored with it (never an error).
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }
}

/// Checks a survey against the rules, with `regions` (the stored region table),
/// `coefficients` (the stored coefficient table, resolved here for the survey's county
/// and year: the dung plausibility rule compares use with the herd's estimate) and
/// `today` (see [`today_in_china`]). A survey without errors comes back validated, with
/// its warnings; otherwise every issue found, errors and warnings alike in the rules'
/// order, and nothing may be stored.
pub fn validate(
    survey: Survey,
    regions: &RegionTable,
    coefficients: &CoefficientTable,
    today: NaiveDate,
) -> Result<ValidatedSurvey, Vec<Issue>> {
    let issues = validation::validate_with_table(&survey, regions, coefficients, today);
    if validation::has_errors(&issues) {
        Err(issues)
    } else {
        Ok(ValidatedSurvey {
            survey,
            warnings: issues,
        })
    }
}

#[cfg(test)]
mod tests {
    use agriwaste_analytics::IssueCode;
    use agriwaste_analytics::synthetic::SyntheticSpec;

    use super::*;

    /// A synthetic household that uses film.
    fn a_survey() -> Survey {
        let spec = SyntheticSpec::default();
        let found = (0..100).map(|i| spec.survey(i)).find(|s| s.film.is_some());
        found.expect("some synthetic household uses film")
    }

    /// A day after every synthetic survey.
    fn later() -> NaiveDate {
        NaiveDate::from_ymd_opt(2030, 1, 1).unwrap_or_default()
    }

    /// What the analytics crate's rules say of a survey, asked directly.
    fn rules_on(survey: &Survey, regions: &RegionTable) -> Vec<Issue> {
        validation::validate_with_table(survey, regions, &CoefficientTable::builtin(), later())
    }

    #[test]
    fn a_valid_survey_comes_back_unchanged_with_the_rules_warnings() {
        let regions = RegionTable::builtin();
        let mut survey = a_survey();
        // One kg of film per mu is unusually little: a warning, not an error.
        if let Some(film) = survey.film.as_mut() {
            film.area_mu = Some(film.used_kg);
        }
        let validated = validate(
            survey.clone(),
            &regions,
            &CoefficientTable::builtin(),
            later(),
        );
        let Ok(validated) = validated else {
            panic!("a warning does not refuse a survey: {validated:?}");
        };
        assert_eq!(validated.survey(), &survey);
        assert_eq!(validated.warnings(), rules_on(&survey, &regions).as_slice());
        let codes: Vec<IssueCode> = validated.warnings().iter().map(|i| i.code).collect();
        assert!(
            codes.contains(&IssueCode::ImplausibleFilmPerMu),
            "{codes:?}"
        );
        assert!(validated.warnings().iter().all(|i| !i.is_error()));
    }

    #[test]
    fn a_survey_with_an_error_is_refused_with_every_issue() {
        let regions = RegionTable::builtin();
        let mut survey = a_survey();
        survey.county_code = "999999".to_owned();
        let refused = validate(
            survey.clone(),
            &regions,
            &CoefficientTable::builtin(),
            later(),
        );
        let Err(issues) = refused else {
            panic!("an unknown county is refused: {refused:?}");
        };
        assert_eq!(issues, rules_on(&survey, &regions));
        assert!(issues.iter().any(|i| i.code == IssueCode::UnknownCounty));
    }

    #[test]
    fn a_survey_dated_after_today_is_refused() {
        let regions = RegionTable::builtin();
        let survey = a_survey();
        let surveyed_on = survey.surveyed_on;
        assert!(
            validate(
                survey.clone(),
                &regions,
                &CoefficientTable::builtin(),
                surveyed_on
            )
            .is_ok()
        );
        let refused = validate(
            survey,
            &regions,
            &CoefficientTable::builtin(),
            surveyed_on - chrono::Duration::days(1),
        );
        assert!(
            refused.is_err_and(|issues| issues.iter().any(|i| i.code == IssueCode::FutureDate))
        );
    }

    #[test]
    fn today_in_china_is_eight_hours_ahead_of_utc() {
        let utc = Utc::now().date_naive();
        let china = today_in_china();
        assert!(china == utc || china == utc.succ_opt().unwrap_or(utc));
    }
}
