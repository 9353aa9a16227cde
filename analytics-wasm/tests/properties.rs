//! Property tests of the indicator maths (issue 3's acceptance): bounded rates stay in
//! [0, 1]; a region's rate rolled up from its households equals the rate recomputed
//! from those households alone; weights of 1 reproduce the unweighted rate; the order of
//! the input changes nothing, to the bit.

use agriwaste_analytics::coefficients::Coefficients;
use agriwaste_analytics::indicators::{
    Grouping, HouseholdFacts, Indicator, compute, facts_from_surveys,
};
use agriwaste_analytics::regions::{RegionLevel, RegionTable};
use agriwaste_analytics::survey::{
    Crop, FilmSection, PesticidePackagingSection, StrawCrop, Survey, YakDungSection,
};
use agriwaste_analytics::synthetic::uuid_for;
use chrono::NaiveDate;
use proptest::prelude::*;

const COUNTIES: [&str; 8] = [
    "542521", "542523", "542527", "630102", "630123", "632701", "632801", "632857",
];

/// A share in [0, 1] in hundredths, so that parts never exceed their whole.
fn share() -> impl Strategy<Value = f64> {
    (0u32..=100).prop_map(|p| f64::from(p) / 100.0)
}

fn amount() -> impl Strategy<Value = f64> {
    (0u32..100_000).prop_map(|v| f64::from(v) / 10.0)
}

prop_compose! {
    /// A valid survey whose amounts are all measured (no coefficient estimates), so
    /// every part is within its whole.
    fn survey()(
        seed in any::<u64>(),
        county in 0..COUNTIES.len(),
        year in 2023..=2025i32,
        weight in prop_oneof![Just(1.0), (1u32..400).prop_map(|w| f64::from(w) / 10.0)],
        film in proptest::option::of((amount(), share(), share(), prop_oneof![Just(0.008), Just(0.010), Just(0.015)], 1u32..50)),
        packaging in proptest::option::of((0i64..200, 0i64..220)),
        straw in proptest::option::of((amount(), share(), share(), share())),
        dung in proptest::option::of((amount(), share(), share())),
    ) -> Survey {
        Survey {
            id: uuid_for(seed),
            county_code: COUNTIES[county].to_owned(),
            township: "乡".into(),
            village: "村".into(),
            household: format!("H{seed}"),
            surveyed_on: NaiveDate::from_ymd_opt(year, 8, 1).unwrap_or_default(),
            technician: "t".into(),
            location: None,
            weight,
            film: film.map(|(used, recovered, degradable, mm, area)| FilmSection {
                used_kg: used,
                area_mu: Some(f64::from(area)),
                thickness_mm: Some(mm),
                degradable_kg: used * degradable,
                recovered_kg: used * recovered,
                recovery_channel: None,
            }),
            pesticide_packaging: packaging.map(|(used, returned)| PesticidePackagingSection {
                used_count: used,
                used_kg: Some(used as f64 * 0.1),
                returned_count: returned,
                returned_kg: Some(returned as f64 * 0.1),
                return_channel: None,
            }),
            straw: straw
                .map(|(kg, used, feed, fuel)| {
                    let utilized = kg * used;
                    vec![StrawCrop {
                        crop: Crop::SpringWheat,
                        area_mu: None,
                        yield_kg: None,
                        straw_kg: Some(kg),
                        straw_count: None,
                        fertilizer_kg: utilized * (1.0 - feed) * (1.0 - fuel),
                        feed_kg: utilized * feed,
                        substrate_kg: 0.0,
                        fuel_kg: utilized * (1.0 - feed) * fuel,
                        raw_material_kg: 0.0,
                        burned_kg: 0.0,
                        discarded_kg: 0.0,
                    }]
                })
                .unwrap_or_default(),
            yak_dung: dung.map(|(kg, used, fuel)| YakDungSection {
                yak_head: None,
                produced_kg: Some(kg),
                fuel_kg: kg * used * fuel,
                fertilizer_kg: kg * used * (1.0 - fuel),
                other_kg: 0.0,
                discarded_kg: 0.0,
            }),
        }
    }
}

fn facts_of(surveys: &[Survey]) -> Vec<HouseholdFacts> {
    facts_from_surveys(surveys, &Coefficients::builtin(), None)
}

fn by(level: Option<RegionLevel>, by_year: bool) -> Grouping {
    Grouping { level, by_year }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn bounded_rates_stay_within_zero_and_one(surveys in proptest::collection::vec(survey(), 1..60)) {
        let regions = RegionTable::builtin();
        for group in compute(&facts_of(&surveys), by(Some(RegionLevel::County), true), &regions) {
            for (indicator, estimate) in &group.indicators {
                if !indicator.bounded() {
                    continue;
                }
                for rate in [estimate.rate, estimate.unweighted_rate].into_iter().flatten() {
                    // Sums of parts may round a hair above their whole.
                    prop_assert!((0.0..=1.0 + 1e-12).contains(&rate), "{indicator:?} {rate}");
                }
                if estimate.denominator == 0.0 {
                    prop_assert_eq!(estimate.rate, None);
                }
            }
        }
    }

    #[test]
    fn roll_up_equals_recomputation_from_households(surveys in proptest::collection::vec(survey(), 1..80)) {
        let regions = RegionTable::builtin();
        let facts = facts_of(&surveys);
        for level in [RegionLevel::Prefecture, RegionLevel::Province] {
            for group in compute(&facts, by(Some(level), true), &regions) {
                let code = group.key.region_code.clone().unwrap_or_default();
                let own: Vec<HouseholdFacts> = facts
                    .iter()
                    .filter(|f| regions.is_within(&f.county_code, &code) && Some(f.year) == group.key.year)
                    .cloned()
                    .collect();
                let alone = compute(&own, by(None, false), &regions);
                prop_assert_eq!(alone.len(), 1);
                prop_assert_eq!(&alone[0].indicators, &group.indicators);
                prop_assert_eq!(&alone[0].straw_uses, &group.straw_uses);
                prop_assert_eq!(alone[0].households, group.households);
            }
        }
    }

    #[test]
    fn weights_of_one_reproduce_the_unweighted_rate(surveys in proptest::collection::vec(survey(), 1..60)) {
        let regions = RegionTable::builtin();
        let unweighted: Vec<Survey> = surveys
            .into_iter()
            .map(|s| Survey { weight: 1.0, ..s })
            .collect();
        for group in compute(&facts_of(&unweighted), by(Some(RegionLevel::County), false), &regions) {
            for estimate in group.indicators.values() {
                prop_assert_eq!(estimate.rate, estimate.unweighted_rate);
                prop_assert_eq!(estimate.weighted_denominator, estimate.denominator);
            }
        }
    }

    #[test]
    fn permuting_the_input_changes_nothing(
        surveys in proptest::collection::vec(survey(), 1..60),
        rotation in any::<usize>(),
    ) {
        let regions = RegionTable::builtin();
        let facts = facts_of(&surveys);
        let mut shuffled = facts.clone();
        shuffled.reverse();
        let by_rotation = rotation % shuffled.len().max(1);
        shuffled.rotate_left(by_rotation);
        for grouping in [by(Some(RegionLevel::County), true), by(Some(RegionLevel::Prefecture), false), by(None, true)] {
            let a = compute(&facts, grouping, &regions);
            let b = compute(&shuffled, grouping, &regions);
            prop_assert_eq!(
                serde_json::to_string(&a).unwrap_or_default(),
                serde_json::to_string(&b).unwrap_or_default()
            );
        }
    }
}

#[test]
fn indicator_keys_round_trip() {
    for indicator in Indicator::ALL {
        assert_eq!(Indicator::from_key(indicator.key()), Some(indicator));
        let json = serde_json::to_string(&indicator).unwrap_or_default();
        assert_eq!(json, format!("\"{}\"", indicator.key()));
    }
}

mod charts_never_panic {
    use agriwaste_analytics::charts::*;
    use agriwaste_analytics::indicators::Indicator;
    use agriwaste_analytics::plans::Phase;
    use agriwaste_analytics::targets::TargetOrigin;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        let number = prop_oneof![any::<f64>(), -2.0..3.0f64];
        (
            proptest::option::of(number.clone()),
            proptest::option::of(number.clone()),
            proptest::option::of(number),
            0usize..100,
        )
            .prop_map(|(rate, ci_low, ci_high, n)| Value {
                rate,
                ci_low,
                ci_high,
                n,
            })
    }

    fn label() -> impl Strategy<Value = Label> {
        ("\\PC{0,30}", "\\PC{0,30}").prop_map(|(zh, en)| Label { zh, en })
    }

    fn target() -> impl Strategy<Value = Option<TargetLine>> {
        proptest::option::of(
            (any::<f64>(), any::<i32>()).prop_map(|(rate, year)| TargetLine {
                rate,
                year,
                source: Some(TargetOrigin::Own),
            }),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn any_chart_data_draws(
            bars in proptest::collection::vec((label(), value(), target()), 0..30),
            years in proptest::collection::vec((any::<i32>(), value()), 0..12),
            trend_target in target(),
            phases in proptest::collection::vec((label(), any::<i32>(), any::<i32>()), 0..6),
            in_progress in proptest::option::of(any::<i32>()),
            shares in proptest::collection::vec((label(), proptest::array::uniform5(proptest::option::of(any::<f64>()))), 0..20),
            tiles in proptest::collection::vec((label(), proptest::option::of((any::<f64>(), any::<f64>())), value()), 0..50),
            width in any::<u32>(),
            height in any::<u32>(),
            english in any::<bool>(),
        ) {
            let options = ChartOptions {
                lang: if english { Lang::En } else { Lang::Zh },
                width,
                height,
                title: None,
            };
            let charts = [
                Chart::IndicatorByRegion(IndicatorByRegionData {
                    indicator: Indicator::FilmRecovery,
                    year: None,
                    bars: bars
                        .into_iter()
                        .map(|(name, value, target)| RegionBar { code: String::new(), name, value, target })
                        .collect(),
                }),
                Chart::Trend(TrendData {
                    indicator: Indicator::StrawUtilization,
                    region: Label { zh: "区".into(), en: "r".into() },
                    points: years.into_iter().map(|(year, value)| YearPoint { year, value }).collect(),
                    target: trend_target,
                    phases: phases
                        .into_iter()
                        .map(|(name, first_year, last_year)| Phase {
                            key: String::new(),
                            name_zh: name.zh,
                            name_en: name.en,
                            first_year,
                            last_year,
                        })
                        .collect(),
                    plan: None,
                    year_in_progress: in_progress,
                }),
                Chart::StrawUses(StrawUsesData {
                    year: Some(2025),
                    bars: shares
                        .into_iter()
                        .map(|(name, shares)| StrawBar { code: String::new(), name, shares, n: 3 })
                        .collect(),
                }),
                Chart::Map(MapData {
                    indicator: Indicator::YakDungUtilization,
                    year: None,
                    tiles: tiles
                        .into_iter()
                        .map(|(name, seat, value)| MapTile {
                            code: String::new(),
                            short: name.clone(),
                            area: seat.map(|_| name.clone()),
                            name,
                            seat: seat.map(|(lat, lon)| Seat { lat, lon }),
                            value,
                        })
                        .collect(),
                }),
            ];
            for chart in charts {
                prop_assert!(render_svg(&chart, &options).is_ok());
            }
        }
    }
}
