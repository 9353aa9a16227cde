//! Draws every chart kind from synthetic data, in Chinese and English, as SVG and PNG,
//! so that a person can look at them.
//!
//! Usage: `cargo run -p agriwaste-analytics --features png --example render_charts --
//! OUT_DIR [FONT_FILE]` (font default: Debian's WenQuanYi Micro Hei).

use agriwaste_analytics::api;
use agriwaste_analytics::charts::{ChartOptions, Lang, render_svg_json, svg_to_png};
use agriwaste_analytics::synthetic::SyntheticSpec;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: render_charts OUT_DIR [FONT_FILE]")?,
    );
    let font_path = args
        .next()
        .unwrap_or_else(|| "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc".to_owned());
    let font = std::fs::read(&font_path)?;
    std::fs::create_dir_all(&out)?;
    let surveys = serde_json::to_string(&SyntheticSpec::default().surveys(4_000))?;
    let requests = [
        (
            "bars",
            "indicator_by_region",
            r#"{"kind":"indicator_by_region","indicator":"yak_dung_utilization_rate","year":2025,"within":"542500"}"#,
        ),
        (
            "bars-xining",
            "indicator_by_region",
            r#"{"kind":"indicator_by_region","indicator":"film_recovery_rate","year":2025,"within":"630100"}"#,
        ),
        (
            "bars-prefecture",
            "indicator_by_region",
            r#"{"kind":"indicator_by_region","indicator":"pesticide_packaging_recovery_rate","level":"prefecture"}"#,
        ),
        (
            "trend",
            "trend",
            r#"{"kind":"trend","indicator":"film_recovery_rate","region_code":"630100"}"#,
        ),
        (
            "trend-ali",
            "trend",
            r#"{"kind":"trend","indicator":"yak_dung_utilization_rate","region_code":"542500","current_year":2025}"#,
        ),
        (
            "bars-all-counties",
            "indicator_by_region",
            r#"{"kind":"indicator_by_region","indicator":"film_recovery_rate","year":2025}"#,
        ),
        (
            "straw",
            "straw_uses",
            r#"{"kind":"straw_uses","year":2025,"within":"630000"}"#,
        ),
        (
            "map",
            "map",
            r#"{"kind":"map","indicator":"yak_dung_utilization_rate","year":2025}"#,
        ),
    ];
    for (name, kind, request) in requests {
        let data = api::chart_data(&surveys, request).map_err(|e| e.message_en)?;
        for lang in [Lang::Zh, Lang::En] {
            let options = ChartOptions {
                lang,
                ..ChartOptions::default()
            };
            let svg = render_svg_json(kind, &data, &options)?;
            let stem = format!("{name}-{}", lang.pick("zh", "en"));
            std::fs::write(out.join(format!("{stem}.svg")), &svg)?;
            std::fs::write(
                out.join(format!("{stem}.png")),
                svg_to_png(&svg, &font, 1.0)?,
            )?;
        }
    }
    println!("charts written to {}", out.display());
    Ok(())
}
