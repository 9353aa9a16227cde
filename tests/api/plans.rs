//! Each region's own targets and plan: the targets that apply to a region say where they
//! come from in words (own, an enclosing region named, national, the manure target for
//! yak dung), an indicator without one says so, and a region follows its own plan or an
//! enclosing region's, never another region's.

use anyhow::{Context, Result};
use e2e::{Backend, TestApp, field_array, field_str, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(
    applicable_targets_say_where_they_come_from,
    each_region_follows_its_own_plan
);

/// The applicable target of each indicator, by key.
async fn applicable(app: &TestApp, region: &str, year: i32) -> Result<Vec<Value>> {
    let (status, body) = app
        .get(&format!(
            "/api/v1/targets/applicable?region={region}&year={year}"
        ))
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["region_code"], region);
    assert_eq!(body["year"], year);
    Ok(field_array(&body, "targets").clone())
}

fn of<'a>(rows: &'a [Value], indicator: &str) -> Result<&'a Value> {
    rows.iter()
        .find(|r| r["indicator"] == indicator)
        .with_context(|| format!("no row for {indicator}: {rows:?}"))
}

async fn applicable_targets_say_where_they_come_from(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    // 噶尔县 inherits 阿里地区's film target, and straw falls back to the national one.
    let gar = applicable(&app, "542523", 2026).await?;
    assert_eq!(
        gar.iter()
            .map(|r| field_str(r, "indicator"))
            .collect::<Vec<_>>(),
        [
            "film_recovery_rate",
            "pesticide_packaging_recovery_rate",
            "straw_utilization_rate",
            "yak_dung_utilization_rate",
            "film_thickness_compliance_rate",
            "degradable_film_share",
        ]
    );
    let film = of(&gar, "film_recovery_rate")?;
    assert_eq!(film["origin"], "enclosing");
    assert_eq!(film["origin_zh"], "继承自上级地区 阿里地区");
    assert_eq!(film["target"]["region_code"], "542500");
    assert_eq!(film["target"]["target"], 0.9);
    assert_eq!(film["target"]["year"], 2030);
    assert_eq!(film["indicator_name_zh"], "农膜回收率");
    let straw = of(&gar, "straw_utilization_rate")?;
    assert_eq!(straw["origin"], "national");
    assert_eq!(straw["origin_zh"], "全国目标代用");
    let none = of(&gar, "degradable_film_share")?;
    assert_eq!(none["target"], Value::Null);
    assert_eq!(none["origin"], Value::Null);
    assert_eq!(
        (none["origin_zh"].as_str(), none["origin_en"].as_str()),
        (
            Some("无目标:本地区、上级地区和全国均未设定"),
            Some("no target: none is set for this region, above it or nationally")
        )
    );

    // A Qinghai county's yak dung is measured against the national manure target, said so.
    let yushu = applicable(&app, "632701", 2025).await?;
    let dung = of(&yushu, "yak_dung_utilization_rate")?;
    assert_eq!(dung["origin"], "national_proxy");
    assert_eq!(dung["proxy_indicator"], "manure_utilization_rate");
    assert_eq!(dung["origin_zh"], "以全国畜禽粪污综合利用率目标代用");
    assert_eq!(dung["target"]["target"], 0.8);
    assert_eq!(
        of(&yushu, "pesticide_packaging_recovery_rate")?["origin"],
        Value::Null
    );

    // 阿里地区 sets its own straw target: its own for it, inherited by its counties.
    let (status, body) = app
        .put(
            "/api/v1/targets/542500/straw_utilization_rate/2030",
            &json!({"target": 0.9, "source": "阿里地区 2030 秸秆目标 (test)"}),
            &[],
        )
        .await?;
    assert_eq!(status, 201, "{body}");
    let ali = applicable(&app, "542500", 2026).await?;
    let own = of(&ali, "straw_utilization_rate")?;
    assert_eq!(
        (own["origin"].as_str(), own["origin_zh"].as_str()),
        (Some("own"), Some("本地区目标"))
    );
    assert_eq!(own["target"]["updated_by"], "admin");
    assert_eq!(own["target"]["source"], "阿里地区 2030 秸秆目标 (test)");
    let gar = applicable(&app, "542523", 2026).await?;
    assert_eq!(of(&gar, "straw_utilization_rate")?["origin"], "enclosing");

    // The year defaults to this year; bad regions and years are refused naming them.
    let (status, body) = app.get("/api/v1/targets/applicable?region=542523").await?;
    assert_eq!(status, 200, "{body}");
    assert!(body["year"].as_i64().is_some_and(|y| y >= 2026));
    let (status, body) = app
        .get("/api/v1/targets/applicable?region=999999&year=2026")
        .await?;
    assert_eq!(
        (status, body["path"].as_str()),
        (422, Some("region")),
        "{body}"
    );
    let (status, body) = app
        .get("/api/v1/targets/applicable?region=542523&year=1900")
        .await?;
    assert_eq!(
        (status, body["path"].as_str()),
        (400, Some("year")),
        "{body}"
    );
    Ok(())
}

async fn each_region_follows_its_own_plan(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let plans = |region: &str| {
        let path = format!("/api/v1/plans?region={region}");
        let app = &app;
        async move {
            let (status, body) = app.get(&path).await?;
            assert_eq!(status, 200, "{body}");
            anyhow::Ok(field_array(&body, "plans").clone())
        }
    };
    // 噶尔县 follows Ali's 2024–2030 plan, with its baseline and three phases.
    let gar = plans("542523").await?;
    assert_eq!(gar.len(), 1);
    assert_eq!(gar[0]["region_code"], "542500");
    assert_eq!(gar[0]["region_name_zh"], "阿里地区");
    assert_eq!(gar[0]["inherited"], true);
    assert_eq!(
        (gar[0]["first_year"].as_i64(), gar[0]["last_year"].as_i64()),
        (Some(2023), Some(2030))
    );
    let phases: Vec<(&str, i64, i64)> = field_array(&gar[0], "phases")
        .iter()
        .map(|p| {
            (
                field_str(p, "key"),
                p["first_year"].as_i64().unwrap_or_default(),
                p["last_year"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        phases,
        [
            ("baseline", 2023, 2023),
            ("near", 2024, 2025),
            ("mid", 2026, 2027),
            ("long", 2028, 2030)
        ]
    );
    let ali = plans("542500").await?;
    assert_eq!(ali[0]["inherited"], false);
    // A 西宁 district follows Qinghai's 14th five-year guidance, never Ali's phases.
    let xining = plans("630102").await?;
    assert_eq!(xining[0]["region_code"], "630000");
    assert_eq!(field_array(&xining[0], "phases").len(), 1);
    assert_eq!(xining[0]["phases"][0]["name_zh"], "“十四五”时期");
    // Tibet as a whole and the nation have none.
    assert!(plans("540000").await?.is_empty());
    assert!(plans("national").await?.is_empty());
    // Without a region, every plan.
    let (status, all) = app.get("/api/v1/plans").await?;
    assert_eq!(status, 200);
    assert_eq!(field_array(&all, "plans").len(), 2);
    assert_eq!(all["region_code"], Value::Null);
    let (status, body) = app.get("/api/v1/plans?region=nowhere").await?;
    assert_eq!((status, body["path"].as_str()), (422, Some("region")));
    Ok(())
}
