use super::*;
use crate::coefficients::Coefficients;
use crate::indicators::{Grouping, compute, facts_from_surveys};
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
        )),
        Chart::StrawUses(straw_uses_data(&by_county_year, Some(2025))),
        Chart::Map(map_data(
            &facts,
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
        "目标 93% (2030)",
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
        "目标 90% (2030)",
    ] {
        assert!(svg.contains(label), "{label} missing");
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
        }),
        Chart::StrawUses(StrawUsesData {
            year: None,
            bars: vec![],
        }),
        Chart::Map(MapData {
            indicator: Indicator::FilmRecovery,
            year: None,
            points: vec![],
            labels: vec![],
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
            }),
        }),
        Chart::Map(MapData {
            indicator: Indicator::FilmRecovery,
            year: None,
            points: vec![
                MapPoint {
                    lat: 1e300,
                    lon: 80.0,
                    rate: Some(0.5),
                },
                MapPoint {
                    lat: 32.0,
                    lon: 80.0,
                    rate: Some(f64::INFINITY),
                },
            ],
            labels: vec![MapLabel {
                lat: f64::NAN,
                lon: 80.0,
                name: Label {
                    zh: "x".into(),
                    en: "x".into(),
                },
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
