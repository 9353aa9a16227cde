use super::*;
use crate::coefficients::Coefficients;
use crate::indicators::{Grouping, compute, facts_from_surveys};
use crate::plans::PlanTable;
use crate::regions::{RegionLevel, RegionTable};
use crate::synthetic::SyntheticSpec;
use crate::targets::TargetTable;

/// Every chart kind drawn from the same synthetic data, as the server or page would.
pub(crate) fn sample_charts() -> Vec<Chart> {
    let regions = RegionTable::builtin();
    let targets = TargetTable::builtin();
    let spec = SyntheticSpec {
        counties: [
            "542521", "542522", "542523", "542524", "542525", "542526", "542527",
        ]
        .map(String::from)
        .to_vec(),
        ..SyntheticSpec::default()
    };
    let facts = facts_from_surveys(&spec.surveys(1_500), &Coefficients::builtin(), None);
    let by_county_year = compute(
        &facts,
        Grouping {
            level: Some(RegionLevel::County),
            by_year: true,
        },
        &regions,
    );
    let by_prefecture_year = compute(
        &facts,
        Grouping {
            level: Some(RegionLevel::Prefecture),
            by_year: true,
        },
        &regions,
    );
    vec![
        Chart::IndicatorByRegion(indicator_by_region_data(
            &by_county_year,
            Indicator::YakDungUtilization,
            Some(2025),
            2025,
            &targets,
            &regions,
        )),
        Chart::Trend(trend_data(
            &by_prefecture_year,
            Indicator::FilmRecovery,
            "542500",
            &targets,
            &regions,
            &PlanTable::builtin(),
            Some(2026),
        )),
        Chart::StrawUses(straw_uses_data(&by_county_year, Some(2025))),
        Chart::Map(map_data(
            &by_county_year,
            Indicator::YakDungUtilization,
            Some(2025),
            &regions,
        )),
    ]
}

#[test]
fn every_chart_draws_with_chinese_and_english_text() {
    for chart in sample_charts() {
        for lang in [Lang::Zh, Lang::En] {
            let options = ChartOptions {
                lang,
                ..ChartOptions::default()
            };
            let svg = render_svg(&chart, &options);
            let Ok(svg) = svg else {
                panic!("{chart:?}: {svg:?}")
            };
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert!(svg.trim_end().ends_with("</svg>"));
            assert!(svg.contains("<text"));
            assert!(!svg.contains("NaN"), "NaN in SVG");
            let has_cjk = svg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            assert_eq!(has_cjk, lang == Lang::Zh, "{lang:?}");
        }
    }
}

#[test]
fn bar_chart_shows_regions_targets_and_intervals() {
    let charts = sample_charts();
    let Chart::IndicatorByRegion(data) = &charts[0] else {
        panic!("first sample is the bar chart")
    };
    assert_eq!(data.bars.len(), 7);
    // 阿里's counties inherit the prefecture's 93 % yak-dung target.
    assert!(
        data.bars
            .iter()
            .all(|b| b.target.map(|t| t.rate) == Some(0.93))
    );
    let svg = indicator_by_region(data, &ChartOptions::default()).unwrap_or_default();
    for name in [
        "普兰县",
        "噶尔县",
        "措勤县",
        "目标 93%(2030年) · 上级地区目标",
        "2025年各地区牦牛粪便综合利用率",
    ] {
        assert!(svg.contains(name), "{name} missing");
    }
    assert!(svg.contains("stroke-dasharray"), "target line missing");
}

#[test]
fn trend_has_phase_bands_and_target() {
    let charts = sample_charts();
    let svg = render_svg(&charts[1], &ChartOptions::default()).unwrap_or_default();
    for label in [
        "基准年",
        "近期",
        "中期",
        "远期",
        "2023",
        "2030",
        "目标 90%(2030年) · 本地区目标",
    ] {
        assert!(svg.contains(label), "{label} missing");
    }
}

/// A trend of `region`'s film recovery, from synthetic surveys of its counties, with
/// `year_in_progress`.
fn trend_of(region: &str, year_in_progress: Option<i32>) -> TrendData {
    let regions = RegionTable::builtin();
    let spec = SyntheticSpec {
        counties: regions
            .counties_within(region)
            .iter()
            .map(|r| r.code.clone())
            .collect(),
        ..SyntheticSpec::default()
    };
    let facts = facts_from_surveys(&spec.surveys(900), &Coefficients::builtin(), None);
    let level = regions.get(region).map(|r| r.level);
    let groups = compute(
        &facts,
        Grouping {
            level,
            by_year: true,
        },
        &regions,
    );
    trend_data(
        &groups,
        Indicator::FilmRecovery,
        region,
        &TargetTable::builtin(),
        &regions,
        &PlanTable::builtin(),
        year_in_progress,
    )
}

#[test]
fn each_region_gets_its_own_plan_phases() {
    let ali = trend_of("542500", None);
    let keys: Vec<&str> = ali.phases.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["baseline", "near", "mid", "long"]);
    let qinghai = trend_of("630100", None);
    assert_eq!(qinghai.phases.len(), 1);
    assert_eq!(
        (qinghai.phases[0].first_year, qinghai.phases[0].last_year),
        (2021, 2025)
    );
    let svg = trend(&qinghai, &ChartOptions::default()).unwrap_or_default();
    assert!(svg.contains("“十四五”时期"), "Qinghai's band");
    for ali_only in ["基准年", "近期", "远期", "阿里"] {
        assert!(!svg.contains(ali_only), "{ali_only} on Qinghai's trend");
    }
    // A region under no plan gets no bands, and says so.
    let none = TrendData {
        phases: vec![],
        plan: None,
        ..qinghai
    };
    let svg = trend(&none, &ChartOptions::default()).unwrap_or_default();
    assert!(svg.contains("该地区没有适用的规划阶段"));
    assert!(!svg.contains("“十四五”时期"));
}

/// The `points` attribute of the trend's line (the only blue polyline), as (x, y) pairs.
fn line_points(svg: &str) -> Vec<(i32, i32)> {
    svg.lines()
        .filter(|l| l.starts_with("<polyline") && l.contains("stroke=\"#0072b2\""))
        .filter_map(|l| {
            l.split("points=\"")
                .nth(1)?
                .split('"')
                .next()
                .map(str::to_owned)
        })
        .flat_map(|points| {
            points
                .split(' ')
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn small_samples_and_the_year_in_progress_stay_off_the_line() {
    let point = |year, rate, n| YearPoint {
        year,
        value: Value {
            rate: Some(rate),
            ci_low: Some(rate - 0.05),
            ci_high: Some(rate + 0.05),
            n,
        },
    };
    // The case: 73 households one year, then one household at 90.5 %.
    let data = TrendData {
        points: vec![
            point(2023, 0.60, 73),
            point(2024, 0.66, 12),
            point(2025, 0.70, 81),
            point(2026, 0.905, 1),
        ],
        ..trend_of("542500", Some(2026))
    };
    for lang in [Lang::Zh, Lang::En] {
        let svg = trend(
            &data,
            &ChartOptions {
                lang,
                ..ChartOptions::default()
            },
        )
        .unwrap_or_default();
        // The line joins 2023 and 2025 only.
        assert_eq!(line_points(&svg).len(), 2, "{lang:?}");
        let note = lang.pick("进行中 n=1", "in progress, n=1");
        assert!(svg.contains(note), "{note} missing");
        assert!(svg.contains("n=12"), "the small sample's n");
        // Hollow markers for small n, a diamond for the year in progress.
        assert!(svg.contains("fill=\"#ffffff\" stroke=\"#0072b2\""));
        assert!(svg.contains("<polygon points="));
    }
    // Without a year in progress, 2026's single household is still a small sample.
    let svg = trend(
        &TrendData {
            year_in_progress: None,
            ..data
        },
        &ChartOptions::default(),
    )
    .unwrap_or_default();
    assert_eq!(line_points(&svg).len(), 2);
    assert!(!svg.contains("进行中"));
}

#[test]
fn the_target_line_says_its_year_and_where_it_comes_from() {
    let qinghai = trend_of("630100", None);
    let target = qinghai.target.unwrap_or(TargetLine {
        rate: 0.0,
        year: 0,
        source: None,
    });
    assert_eq!(target.source, Some(TargetOrigin::National));
    let svg = trend(&qinghai, &ChartOptions::default()).unwrap_or_default();
    assert!(
        svg.contains(&format!("目标 85%({}年) · 全国目标", target.year)),
        "{svg}"
    );
}

#[test]
fn the_map_is_a_schematic_of_county_tiles() {
    let charts = sample_charts();
    let Chart::Map(data) = &charts[3] else {
        panic!("the fourth sample is the map")
    };
    assert_eq!(data.tiles.len(), 7);
    assert!(data.tiles.iter().all(|t| t.seat.is_some()));
    for (lang, words) in [
        (
            Lang::Zh,
            ["示意图", "不按比例", "噶尔", "阿里地区", "无数据"],
        ),
        (
            Lang::En,
            ["schematic", "not to scale", "Gar", "Ngari", "no data"],
        ),
    ] {
        let svg = map(
            data,
            &ChartOptions {
                lang,
                ..ChartOptions::default()
            },
        )
        .unwrap_or_default();
        for word in words {
            assert!(svg.contains(word), "{word} missing");
        }
        // One tile (rect with a class colour) per county, and no household points.
        assert!(!svg.contains("<circle"), "no points");
    }
}

#[test]
fn straw_chart_stacks_five_uses() {
    let charts = sample_charts();
    let svg = render_svg(&charts[2], &ChartOptions::default()).unwrap_or_default();
    for label in ["肥料化", "饲料化", "基料化", "燃料化", "原料化"] {
        assert!(svg.contains(label), "{label} missing");
    }
}

#[test]
fn empty_data_draws_a_message_not_a_panic() {
    let empty = [
        Chart::IndicatorByRegion(IndicatorByRegionData {
            indicator: Indicator::FilmRecovery,
            year: None,
            bars: vec![],
        }),
        Chart::Trend(TrendData {
            indicator: Indicator::FilmRecovery,
            region: Label {
                zh: "噶尔县".into(),
                en: "Gar".into(),
            },
            points: vec![],
            target: None,
            phases: vec![],
            plan: None,
            year_in_progress: None,
        }),
        Chart::StrawUses(StrawUsesData {
            year: None,
            bars: vec![],
        }),
        Chart::Map(MapData {
            indicator: Indicator::FilmRecovery,
            year: None,
            tiles: vec![],
        }),
    ];
    for chart in empty {
        assert!(
            render_svg(&chart, &ChartOptions::default()).is_ok(),
            "{chart:?}"
        );
    }
}

#[test]
fn json_entry_point_names_bad_input() {
    let bad = render_svg_json("pie", "{}", &ChartOptions::default());
    assert!(bad.is_err_and(|e| e.0.contains("unknown chart kind")));
    let bad = render_svg_json("trend", "{\"indicator\": 3}", &ChartOptions::default());
    assert!(bad.is_err_and(|e| e.0.starts_with("trend data")));
}

#[cfg(feature = "png")]
#[test]
fn png_renders_with_a_supplied_font() {
    let font_path = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
    let font = std::fs::read(font_path).unwrap_or_default();
    assert!(
        !font.is_empty(),
        "install fonts-wqy-microhei (scripts/setup.sh)"
    );
    let svg = render_svg(&sample_charts()[0], &ChartOptions::default()).unwrap_or_default();
    let png = svg_to_png(&svg, &font, 1.0).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(svg_to_png(&svg, b"not a font", 1.0).is_err());
}

#[test]
fn absurd_input_is_drawn_within_bounds() {
    let options = ChartOptions {
        width: 1_000_000_000,
        height: 0,
        ..ChartOptions::default()
    };
    assert_eq!(options.size(), (4000, 240));
    let value = |rate| Value {
        rate: Some(rate),
        ci_low: Some(f64::NEG_INFINITY),
        ci_high: Some(f64::NAN),
        n: 1,
    };
    let charts = [
        Chart::Trend(TrendData {
            indicator: Indicator::FilmRecovery,
            region: Label {
                zh: "<script>".into(),
                en: "&".into(),
            },
            points: vec![
                YearPoint {
                    year: 1,
                    value: value(0.5),
                },
                YearPoint {
                    year: 2024,
                    value: value(f64::NAN),
                },
                YearPoint {
                    year: 99_999,
                    value: value(1e300),
                },
            ],
            target: Some(TargetLine {
                rate: 0.9,
                year: i32::MAX,
                source: None,
            }),
            phases: vec![crate::plans::Phase {
                key: "x".into(),
                name_zh: "很长的阶段名称".repeat(9),
                name_en: "phase ".repeat(30),
                first_year: i32::MIN,
                last_year: i32::MAX,
            }],
            plan: None,
            year_in_progress: Some(i32::MAX),
        }),
        Chart::Map(MapData {
            indicator: Indicator::FilmRecovery,
            year: None,
            tiles: vec![MapTile {
                code: "x".into(),
                name: Label {
                    zh: "<x>".repeat(50),
                    en: "x".into(),
                },
                short: Label {
                    zh: "很长的名字".repeat(20),
                    en: "x".into(),
                },
                area: None,
                seat: Some(Seat {
                    lat: f64::NAN,
                    lon: 1e300,
                }),
                value: value(f64::INFINITY),
            }],
        }),
        Chart::IndicatorByRegion(IndicatorByRegionData {
            indicator: Indicator::PesticidePackagingRecovery,
            year: Some(2025),
            bars: vec![RegionBar {
                code: "x".into(),
                name: Label {
                    zh: "很长的名字".repeat(20),
                    en: "a very long name ".repeat(20),
                },
                value: value(3.5),
                target: None,
            }],
        }),
    ];
    for chart in charts {
        let svg = render_svg(&chart, &options);
        let Ok(svg) = svg else {
            panic!("{chart:?}: {svg:?}")
        };
        assert!(!svg.contains("<script>"), "text must be escaped");
        assert!(svg.len() < 2_000_000, "{} bytes", svg.len());
    }
}
