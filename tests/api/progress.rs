//! `/api/v1/progress`: the board limited to the caller's region, revalidated by ETag,
//! moved by a target edit, refusing an unknown region or a malformed year by name.

use anyhow::{Context, Result};
use e2e::{Backend, TestApp, field_str, json_of, on_both_backends, synthetic_surveys};
use serde_json::{Value, json};

on_both_backends!(progress_is_scoped_revalidated_and_follows_the_targets);

fn row<'a>(board: &'a Value, code: &str) -> Option<&'a Value> {
    board["rows"].as_array()?.iter().find(|r| r["code"] == code)
}

async fn progress_is_scoped_revalidated_and_follows_the_targets(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    for chunk in synthetic_surveys(1200).chunks(400) {
        let (status, body) = app
            .post("/api/v1/surveys/batch", &json!({ "surveys": chunk }))
            .await?;
        assert_eq!(status, 200, "{body}");
    }

    // An admin sees both provinces; the board opens on a finished year.
    let (status, all) = app.get("/api/v1/progress").await?;
    assert_eq!(status, 200, "{all}");
    let year = all["year"].as_i64().context("year")?;
    assert!(year < all["current_year"].as_i64().context("current_year")?);
    assert!(row(&all, "540000").is_some() && row(&all, "630000").is_some());
    let pilot = row(&all, "ali-input-recovery-pilot").context("the pilot group")?;
    assert_eq!(pilot["kind"], "group");
    let film = &pilot["cells"]["film_recovery_rate"];
    assert_eq!(film["target"]["origin"], "enclosing");
    assert_eq!(
        field_str(film, "target.origin_zh"),
        "继承自上级地区 阿里地区"
    );
    let qinghai = row(&all, "630102").context("a Qinghai county")?;
    assert_eq!(qinghai["plan"]["region_code"], "630000");
    assert_eq!(
        qinghai["cells"]["yak_dung_utilization_rate"]["target"]["origin"],
        "national_proxy"
    );

    // A reviewer of 阿里地区 sees Ali only, and its pilot group.
    let reviewer = app
        .client_as("ali-reviewer", "reviewer", Some("542500"), &[])
        .await?;
    let (status, ali) = json_of(reviewer.get(app.url("/api/v1/progress")).send().await?).await?;
    assert_eq!(status, 200, "{ali}");
    assert!(
        row(&ali, "630000").is_none(),
        "no Qinghai row for an Ali reviewer"
    );
    assert!(row(&ali, "ali-input-recovery-pilot").is_some());

    // Revalidation: 304 while nothing changed; a target edit changes the answer.
    let path = format!("/api/v1/progress?region=542500&year={year}");
    let response = app.client.get(app.url(&path)).send().await?;
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .context("etag")?
        .to_owned();
    let (_, before) = json_of(response).await?;
    let again = app
        .client
        .get(app.url(&path))
        .header("If-None-Match", &etag)
        .send()
        .await?;
    assert_eq!(again.status(), 304);
    let (status, _) = app
        .put(
            "/api/v1/targets/542523/film_recovery_rate/2030",
            &json!({"target": 0.2, "source": "e2e: 噶尔县's own target"}),
            &[],
        )
        .await?;
    assert!(status == 200 || status == 201, "{status}");
    let changed = app
        .client
        .get(app.url(&path))
        .header("If-None-Match", &etag)
        .send()
        .await?;
    assert_eq!(changed.status(), 200);
    let (_, after) = json_of(changed).await?;
    let gar = |b: &Value| {
        b["rows"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["code"] == "542523").cloned())
    };
    let (gar_before, gar_after) = (gar(&before).context("gar")?, gar(&after).context("gar")?);
    assert_eq!(
        gar_before["cells"]["film_recovery_rate"]["target"]["value"],
        0.9
    );
    assert_eq!(
        gar_after["cells"]["film_recovery_rate"]["target"]["value"],
        0.2
    );
    assert_eq!(
        gar_after["cells"]["film_recovery_rate"]["target"]["origin"],
        "own"
    );

    // Bad input: named, in both languages, and nothing changes.
    let (status, body) = app.get("/api/v1/progress?region=999999").await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["path"], "region", "{body}");
    assert!(body["message_zh"].as_str().is_some_and(|m| !m.is_empty()));
    let (status, body) = app.get("/api/v1/progress?year=twenty").await?;
    assert_eq!(status, 400, "{body}");
    Ok(())
}
