use super::*;
use crate::estimate::{Observation, RatioSums};
use crate::targets::Target;

fn point(year: i32, rate: f64, se: f64, n: usize) -> YearEstimate {
    YearEstimate {
        year,
        n,
        rate: Some(rate),
        se: Some(se),
        ci_low: Some(rate - 2.0 * se),
        ci_high: Some(rate + 2.0 * se),
    }
}

fn floor(value: f64, year: i32) -> Option<TargetUsed> {
    Some(TargetUsed {
        value,
        year,
        comparison: Comparison::AtLeast,
        source: "test".into(),
        origin: TargetOrigin::Own,
        region_code: "542500".into(),
        proxy: None,
        origin_zh: String::new(),
        origin_en: String::new(),
    })
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn reference_worked_example_is_on_track() {
    // REFERENCE.md: T = 0.90 for 2030; 2023 0.70, 2024 0.74, 2025 0.78, SE 0.02, n ≥ 30.
    let history = [
        point(2023, 0.70, 0.02, 40),
        point(2024, 0.74, 0.02, 40),
        point(2025, 0.78, 0.02, 40),
    ];
    let a = assess(2025, &history, floor(0.90, 2030), false);
    assert_eq!(a.status, Status::OnTrack);
    assert!(close(a.observed_gain_pp, 4.0), "{a:?}");
    assert!(close(a.fitted_at_target_year, 0.98), "{a:?}");
    assert!(close(a.required_gain_pp, 2.4), "{a:?}");
    assert!(close(a.gap_pp, -12.0));
    // Equal SEs: var(slope) = 1 / Σ w (x − x̄)² = 0.02² / 2.
    assert!(close(a.observed_gain_se_pp, 0.02 / 2f64.sqrt() * 100.0));
    assert_eq!(a.previous.map(|p| p.year), Some(2024));
    let trend = a.trend.as_ref().map(|t| (t.weighted, t.years.clone()));
    assert_eq!(trend, Some((true, vec![2023, 2024, 2025])));
}

#[test]
fn implausible_comes_first_even_with_small_n() {
    let history = [point(2025, 1.02, 0.05, 4)];
    let a = assess(2025, &history, floor(0.85, 2030), false);
    assert_eq!(a.status, Status::Implausible);
    // Exactly 100 % is plausible (and met here).
    let whole = [point(2025, 1.0, 0.0, 40)];
    let a = assess(2025, &whole, floor(0.9, 2030), false);
    assert_eq!(a.status, Status::Met);
    // A quality flag that invalidates the group.
    let a = assess(2025, &[point(2025, 0.5, 0.01, 40)], floor(0.9, 2030), true);
    assert_eq!(a.status, Status::Implausible);
}

#[test]
fn insufficient_below_thirty_households_or_without_an_estimate() {
    let target = floor(0.5, 2030);
    let at = |n| assess(2025, &[point(2025, 0.9, 0.01, n)], target.clone(), false).status;
    assert_eq!(at(MIN_N - 1), Status::Insufficient);
    assert_eq!(at(MIN_N), Status::Met);
    let none = assess(2025, &[], target.clone(), false);
    assert_eq!(none.status, Status::Insufficient);
    assert_eq!(none.estimate, None);
    // A year without a denominator.
    let empty = YearEstimate {
        rate: None,
        ..point(2025, 0.0, 0.0, 40)
    };
    assert_eq!(
        assess(2025, &[empty], target, false).status,
        Status::Insufficient
    );
}

#[test]
fn no_target_after_the_data_checks() {
    let a = assess(2025, &[point(2025, 0.2, 0.01, 40)], None, false);
    assert_eq!(a.status, Status::NoTarget);
    assert_eq!(a.gap_pp, None);
    assert_eq!(a.required_gain_pp, None);
}

#[test]
fn met_needs_the_whole_interval_likely_only_the_estimate() {
    let target = floor(0.90, 2030);
    let with_ci = |rate: f64, low: f64| YearEstimate {
        ci_low: Some(low),
        ..point(2025, rate, 0.01, 40)
    };
    let status = |p| assess(2025, &[p], target.clone(), false).status;
    // The lower end exactly at the target: met.
    assert_eq!(status(with_ci(0.93, 0.90)), Status::Met);
    // Just below: likely, the estimate being above.
    assert_eq!(status(with_ci(0.93, 0.8999)), Status::Likely);
    // The estimate exactly at the target, the interval below: likely.
    assert_eq!(status(with_ci(0.90, 0.88)), Status::Likely);
    // Just below the target, no trend: behind, trend unknown.
    let behind = assess(2025, &[with_ci(0.8999, 0.88)], target, false);
    assert_eq!(behind.status, Status::Behind);
    assert!(behind.trend.is_none());
}

#[test]
fn on_track_edge_is_the_fitted_value_in_the_target_year() {
    // Equal SEs; slope 0.03 a year, 2025 at 0.75: fitted 2030 = 0.90 exactly reaches
    // 0.90, and a target a hair above is not reached.
    let history = [
        point(2023, 0.69, 0.02, 40),
        point(2024, 0.72, 0.02, 40),
        point(2025, 0.75, 0.02, 40),
    ];
    let at = |goal| assess(2025, &history, floor(goal, 2030), false);
    let reached = at(0.8999999);
    assert_eq!(reached.status, Status::OnTrack, "{reached:?}");
    assert_eq!(at(0.9000001).status, Status::Behind);
    // Two years of n ≥ 30 (the third is small): no trend, behind.
    let mut short = history;
    short[0].n = 29;
    let a = assess(2025, &short, floor(0.8, 2030), false);
    assert_eq!((a.status, a.trend.is_none()), (Status::Behind, true));
}

#[test]
fn a_passed_target_year_leaves_no_time() {
    // Qinghai in 2026 against the national 2025 target: the trend reaching it later does
    // not put the region on track.
    let history = [
        point(2024, 0.70, 0.02, 40),
        point(2025, 0.76, 0.02, 40),
        point(2026, 0.82, 0.02, 40),
    ];
    let a = assess(2026, &history, floor(0.85, 2025), false);
    assert_eq!(a.status, Status::Behind);
    assert!(a.target_year_passed);
    assert_eq!(a.required_gain_pp, None);
}

#[test]
fn a_ceiling_mirrors_the_rules() {
    let ceiling = floor(0.10, 2030).map(|t| TargetUsed {
        comparison: Comparison::AtMost,
        ..t
    });
    let p = YearEstimate {
        ci_high: Some(0.09),
        ..point(2025, 0.05, 0.01, 40)
    };
    let a = assess(2025, &[p], ceiling, false);
    assert_eq!(a.status, Status::Met);
}

#[test]
fn trend_weights_by_inverse_variance_and_falls_back_to_equal_weights() {
    // A precise year pulls the line toward itself.
    let history = [
        point(2023, 0.60, 0.01, 40),
        point(2024, 0.70, 0.10, 40),
        point(2025, 0.70, 0.01, 40),
    ];
    let Some(t) = Trend::fit(&history) else {
        panic!("no trend")
    };
    // Weights 10000, 100, 10000: x̄ = 2024, ȳ = (6000 + 70 + 7000) / 20100.
    let w = [10_000.0, 100.0, 10_000.0];
    let y = [0.60, 0.70, 0.70];
    let total: f64 = w.iter().sum();
    let mean = (w[0] * y[0] + w[1] * y[1] + w[2] * y[2]) / total;
    let slope = (-w[0] * (y[0] - mean) + w[2] * (y[2] - mean)) / (w[0] + w[2]);
    assert!((t.slope - slope).abs() < 1e-12, "{t:?}");
    assert!((t.slope_se - (1.0 / (w[0] + w[2])).sqrt()).abs() < 1e-12);
    // A zero SE: equal weights, residual standard error.
    let flat = [
        point(2023, 0.60, 0.0, 40),
        point(2024, 0.66, 0.02, 40),
        point(2025, 0.70, 0.02, 40),
    ];
    let Some(t) = Trend::fit(&flat) else {
        panic!("no trend")
    };
    assert!(!t.weighted);
    assert!((t.slope - 0.05).abs() < 1e-12);
    // Residuals: 0.60 − 0.6033…, 0.66 − 0.6533…, 0.70 − 0.7033…; s² = Σr² / 1; Sxx = 2.
    let r: [f64; 3] = [
        0.60 - (0.6533333333333333 - 0.05),
        0.66 - 0.6533333333333333,
        0.70 - (0.6533333333333333 + 0.05),
    ];
    let expected = (r.iter().map(|v| v * v).sum::<f64>() / 2.0).sqrt();
    assert!((t.slope_se - expected).abs() < 1e-9, "{t:?} {expected}");
}

#[test]
fn the_board_opens_on_the_latest_complete_year_with_enough_households() {
    let years = [
        YearCount {
            year: 2024,
            households: 73,
            in_progress: false,
        },
        YearCount {
            year: 2025,
            households: 12,
            in_progress: false,
        },
        YearCount {
            year: 2026,
            households: 2,
            in_progress: true,
        },
    ];
    assert_eq!(default_year(&years), Some(2024));
    assert_eq!(default_year(&years[1..]), Some(2025));
    assert_eq!(default_year(&years[2..]), Some(2026));
    assert_eq!(default_year(&[]), None);
}

/// `n` households of one county and year, every film ratio `rate`, every package ratio
/// `package`, each with its own weight so that the interval is not degenerate.
fn county_year(code: &str, year: i32, n: usize, rate: f64) -> GroupSums {
    let film: Vec<Observation> = (0..n)
        .map(|i| Observation {
            y: rate * 10.0 + if i % 2 == 0 { 0.5 } else { -0.5 },
            x: 10.0,
            w: 1.0,
        })
        .collect();
    let mut indicators = BTreeMap::new();
    indicators.insert(Indicator::FilmRecovery, RatioSums::from_observations(&film));
    GroupSums {
        key: GroupKey {
            region_code: Some(code.into()),
            year: Some(year),
        },
        households: n,
        indicators,
        ..GroupSums::default()
    }
}

fn board(sums: &[GroupSums], within: Option<&str>, year: Option<i32>) -> ProgressBoard {
    let (regions, targets, plans, groups) = (
        RegionTable::builtin(),
        TargetTable::builtin(),
        PlanTable::builtin(),
        GroupTable::builtin(),
    );
    progress_board(
        sums,
        ProgressTables {
            regions: &regions,
            targets: &targets,
            plans: &plans,
            groups: &groups,
        },
        &ProgressRequest {
            within: within.map(str::to_owned),
            year,
            current_year: 2026,
        },
    )
}

#[test]
fn board_rows_regions_then_the_pilot_group_pooled_from_its_counties() {
    let mut sums = Vec::new();
    for (code, rate) in [
        ("542521", 0.6),
        ("542522", 0.7),
        ("542523", 0.8),
        ("542524", 0.9),
        ("542525", 0.5),
    ] {
        sums.push(county_year(code, 2025, 40, rate));
        sums.push(county_year(code, 2026, 2, 0.95));
    }
    let b = board(&sums, Some("542500"), None);
    // 2026 is in progress (two households a county): the board opens on 2025.
    assert_eq!(b.year, Some(2025));
    assert_eq!(
        b.years
            .iter()
            .map(|y| (y.year, y.in_progress))
            .collect::<Vec<_>>(),
        vec![(2025, false), (2026, true)]
    );
    let codes: Vec<&str> = b.rows.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        codes,
        vec![
            "542500",
            "542521",
            "542522",
            "542523",
            "542524",
            "542525",
            "ali-input-recovery-pilot"
        ]
    );
    let pilot = &b.rows[6];
    assert_eq!(pilot.kind, RowKind::Group);
    assert_eq!(pilot.households, 160);
    let film = &pilot.cells[&Indicator::FilmRecovery];
    // The four pilot counties pooled: (0.6 + 0.7 + 0.8 + 0.9) / 4.
    assert!(close(film.estimate.and_then(|e| e.rate), 0.75));
    let target = film
        .target
        .as_ref()
        .map(|t| (t.value, t.year, t.origin, t.origin_zh.clone()));
    assert_eq!(
        target,
        Some((
            0.90,
            2030,
            TargetOrigin::Enclosing,
            "继承自上级地区 阿里地区".to_owned()
        ))
    );
    assert_eq!(
        pilot
            .plan
            .as_ref()
            .and_then(|p| p.phase.as_ref())
            .map(|p| p.key.as_str()),
        Some("near")
    );
    // 阿里地区's own row: own target; a county inherits it.
    assert_eq!(
        b.rows[0].cells[&Indicator::FilmRecovery]
            .target
            .as_ref()
            .map(|t| t.origin),
        Some(TargetOrigin::Own)
    );
    assert_eq!(
        b.rows[3].cells[&Indicator::FilmRecovery]
            .target
            .as_ref()
            .map(|t| t.origin),
        Some(TargetOrigin::Enclosing)
    );
    // 日土 at 0.9 with a tight interval around it: likely or met, never behind.
    let rutog = b.rows[4].cells[&Indicator::FilmRecovery].status;
    assert!(matches!(rutog, Status::Likely | Status::Met), "{rutog:?}");
    // Asking for the year in progress shows its small n as such.
    let now = board(&sums, Some("542500"), Some(2026));
    assert_eq!(
        now.rows[1].cells[&Indicator::FilmRecovery].status,
        Status::Insufficient
    );
}

#[test]
fn qinghai_uses_national_targets_said_as_such_and_its_own_plan() {
    let sums = vec![county_year("630102", 2025, 40, 0.8)];
    let b = board(&sums, Some("630000"), None);
    let county = b.rows.iter().find(|r| r.code == "630102");
    let Some(county) = county else {
        panic!("no row")
    };
    let film = county.cells[&Indicator::FilmRecovery]
        .target
        .as_ref()
        .map(|t| (t.origin, t.value, t.year));
    assert_eq!(film, Some((TargetOrigin::National, 0.85, 2025)));
    let dung = county.cells[&Indicator::YakDungUtilization]
        .target
        .as_ref()
        .map(|t| (t.origin, t.proxy.clone()));
    assert_eq!(
        dung,
        Some((
            TargetOrigin::NationalProxy,
            Some("manure_utilization_rate".into())
        ))
    );
    assert_eq!(
        county.cells[&Indicator::PesticidePackagingRecovery].target,
        None
    );
    assert_eq!(
        county.plan.as_ref().map(|p| p.region_code.as_str()),
        Some("630000")
    );
    // No Ali group in a Qinghai board.
    assert!(b.rows.iter().all(|r| r.kind == RowKind::Region));
}

#[test]
fn statuses_have_distinct_words_and_icons() {
    let icons: BTreeSet<&str> = Status::ALL.iter().map(|s| s.icon()).collect();
    let zh: BTreeSet<&str> = Status::ALL.iter().map(|s| s.name_zh()).collect();
    assert_eq!((icons.len(), zh.len()), (7, 7));
}

#[test]
fn a_target_row_is_reported_through_from_applicable() {
    let regions = RegionTable::builtin();
    let used = TargetUsed::from_applicable(
        ApplicableTarget {
            target: Target {
                region_code: "542500".into(),
                indicator: "film_recovery_rate".into(),
                year: 2030,
                target: 0.9,
                comparison: Comparison::AtLeast,
                source: "Ali plan".into(),
            },
            inherited: true,
            proxy: None,
        },
        &regions,
        false,
    );
    assert_eq!(
        used.origin_en,
        "inherited from the enclosing region Ngari (Ali) Prefecture"
    );
}
