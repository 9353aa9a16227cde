//! County groups: the shipped Ali input-recovery pilot and the groups admins define.
//! Admins create, change and delete their own (each change audited); every signed-in
//! caller reads them; a refused request (bad field, duplicate code, the shipped group, a
//! viewer) changes nothing.

use anyhow::{Context, Result};
use e2e::{Backend, TestApp, client_with, field_array, field_str, json_of, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(
    admins_create_change_and_delete_groups_and_every_change_is_audited,
    bad_groups_are_refused_naming_the_field_and_change_nothing,
    only_admins_write_groups_and_every_caller_reads_them
);

const PILOT: &str = "ali-input-recovery-pilot";

fn east() -> Value {
    json!({
        "code": "ali-east", "name_zh": "阿里东部三县", "name_en": "Eastern Ali counties",
        "members": ["542525", "542526", "542527"], "source": "地区农业农村局 2026 年会议纪要",
    })
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value)> {
    let mut request = app.client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(body);
    }
    json_of(request.send().await?).await
}

async fn groups(app: &TestApp) -> Result<Vec<Value>> {
    let (status, body) = app.get("/api/v1/groups").await?;
    assert_eq!(status, 200, "{body}");
    Ok(body
        .as_array()
        .with_context(|| format!("the groups are not an array: {body}"))?
        .clone())
}

fn codes(groups: &[Value]) -> Vec<&str> {
    groups.iter().map(|g| field_str(g, "code")).collect()
}

/// The audit rows of groups, oldest first, as `(action, entity_id)`.
async fn group_audit(app: &TestApp) -> Result<Vec<Value>> {
    let (status, page) = app.get("/api/v1/audit?entity_type=group&limit=100").await?;
    assert_eq!(status, 200, "{page}");
    let mut items = field_array(&page, "items").clone();
    items.reverse();
    Ok(items)
}

async fn admins_create_change_and_delete_groups_and_every_change_is_audited(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    // The shipped pilot group comes first, follows 阿里地区 and cannot be changed.
    let shipped = groups(&app).await?;
    assert_eq!(codes(&shipped), [PILOT]);
    assert_eq!(shipped[0]["built_in"], true);
    assert_eq!(shipped[0]["enclosing_region"], "542500");
    assert_eq!(
        shipped[0]["members"],
        json!(["542521", "542522", "542524", "542523"])
    );
    assert_eq!(shipped[0]["updated_by"], Value::Null);

    let (status, created) = app.post("/api/v1/groups", &east()).await?;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["built_in"], false);
    assert_eq!(created["enclosing_region"], "542500");
    assert_eq!(created["updated_by"], "admin");
    assert_eq!(created["members"], east()["members"]);

    // A group across provinces is allowed, and follows no region's targets.
    let across = json!({"code": "gar-and-xining", "name_zh": "噶尔与城东", "name_en": "Gar and Chengdong",
                        "members": ["542523", "630102"]});
    let (status, body) = app.post("/api/v1/groups", &across).await?;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["enclosing_region"], Value::Null);
    assert_eq!(body["source"], "", "the source may be left out");
    assert_eq!(
        codes(&groups(&app).await?),
        [PILOT, "ali-east", "gar-and-xining"]
    );

    // Changed: names, members and source replaced, the code kept.
    let change = json!({"name_zh": "阿里东部四县", "name_en": "Eastern Ali, four counties",
                        "members": ["542525", "542526", "542527", "542524"], "source": "修订"});
    let (status, updated) = send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/groups/ali-east",
        Some(&change),
    )
    .await?;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["code"], "ali-east");
    assert_eq!(updated["name_zh"], "阿里东部四县");
    let listed = groups(&app).await?;
    let stored = listed
        .iter()
        .find(|g| g["code"] == "ali-east")
        .context("the changed group is listed")?;
    assert_eq!(stored["members"], change["members"]);
    assert_eq!(stored["source"], "修订");

    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        "/api/v1/groups/gar-and-xining",
        None,
    )
    .await?;
    assert_eq!(status, 204);
    assert_eq!(codes(&groups(&app).await?), [PILOT, "ali-east"]);
    let (status, body) = send(
        &app,
        reqwest::Method::DELETE,
        "/api/v1/groups/gar-and-xining",
        None,
    )
    .await?;
    assert_eq!((status, field_str(&body, "code")), (404, "not_found"));

    // Every change has its audit row, with what was before and after.
    let audit = group_audit(&app).await?;
    let rows: Vec<(&str, &str)> = audit
        .iter()
        .map(|r| (field_str(r, "action"), field_str(r, "entity_id")))
        .collect();
    assert_eq!(
        rows,
        [
            ("group.create", "ali-east"),
            ("group.create", "gar-and-xining"),
            ("group.update", "ali-east"),
            ("group.delete", "gar-and-xining"),
        ]
    );
    assert_eq!(audit[0]["before"], Value::Null);
    assert_eq!(audit[0]["after"]["members"], east()["members"]);
    assert_eq!(audit[2]["before"]["name_zh"], "阿里东部三县");
    assert_eq!(audit[2]["after"]["name_zh"], "阿里东部四县");
    assert_eq!(audit[3]["before"]["members"], across["members"]);
    assert_eq!(audit[3]["after"], Value::Null);
    assert!(audit.iter().all(|r| r["actor"] == "admin"));
    Ok(())
}

/// Sends `body` and expects a refusal: the status, the error code and the field named,
/// with a message in both languages.
async fn refused(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    expect: (u16, &str, Option<&str>),
) -> Result<()> {
    let (status, answer) = send(app, method.clone(), path, body).await?;
    let (want_status, want_code, want_path) = expect;
    assert_eq!(status, want_status, "{method} {path} {body:?}: {answer}");
    assert_eq!(field_str(&answer, "code"), want_code, "{answer}");
    assert_eq!(answer["path"].as_str(), want_path, "{answer}");
    assert!(!field_str(&answer, "message_zh").is_empty(), "{answer}");
    assert!(!field_str(&answer, "message_en").is_empty(), "{answer}");
    Ok(())
}

async fn bad_groups_are_refused_naming_the_field_and_change_nothing(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (status, _) = app.post("/api/v1/groups", &east()).await?;
    assert_eq!(status, 201);
    let before = groups(&app).await?;
    let post = reqwest::Method::POST;
    let with = |field: &str, value: Value| {
        let mut body = east();
        body["code"] = json!("another");
        body[field] = value;
        body
    };
    let cases = [
        (with("code", json!("Bad Code")), "invalid_group", "code"),
        (with("code", json!("")), "invalid_group", "code"),
        (
            with("members", json!(["542525"])),
            "invalid_group",
            "members",
        ),
        (with("members", json!([])), "invalid_group", "members"),
        (
            with("members", json!(["542525", "999999"])),
            "invalid_group",
            "members",
        ),
        // A prefecture is not a county.
        (
            with("members", json!(["542525", "542500"])),
            "invalid_group",
            "members",
        ),
        (
            with("members", json!(["542525", "542525"])),
            "invalid_group",
            "members",
        ),
        (with("name_zh", json!("  ")), "invalid_group", "name_zh"),
        (
            with("name_en", json!("x".repeat(101))),
            "too_long",
            "name_en",
        ),
        (
            with("source", json!("来".repeat(501))),
            "too_long",
            "source",
        ),
    ];
    for (body, code, path) in &cases {
        refused(
            &app,
            post.clone(),
            "/api/v1/groups",
            Some(body),
            (422, code, Some(path)),
        )
        .await?;
    }
    // The message says what is wrong in words, in both languages.
    let (_, answer) = app
        .post("/api/v1/groups", &with("members", json!(["542525"])))
        .await?;
    assert_eq!(field_str(&answer, "message_zh"), "一个分组至少需要两个县");
    assert_eq!(
        field_str(&answer, "message_en"),
        "a group needs at least two counties"
    );

    // Codes are unique, the shipped group's included.
    refused(
        &app,
        post.clone(),
        "/api/v1/groups",
        Some(&east()),
        (409, "group_code_taken", Some("code")),
    )
    .await?;
    let mut pilot = east();
    pilot["code"] = json!(PILOT);
    refused(
        &app,
        post.clone(),
        "/api/v1/groups",
        Some(&pilot),
        (409, "group_code_taken", Some("code")),
    )
    .await?;

    // The shipped group cannot be changed or deleted; a group that does not exist is 404.
    let change = json!({"name_zh": "试点", "name_en": "pilot", "members": ["542521", "542522"]});
    refused(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/groups/{PILOT}"),
        Some(&change),
        (409, "group_built_in", None),
    )
    .await?;
    refused(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/groups/{PILOT}"),
        None,
        (409, "group_built_in", None),
    )
    .await?;
    refused(
        &app,
        reqwest::Method::PUT,
        "/api/v1/groups/nope",
        Some(&change),
        (404, "not_found", None),
    )
    .await?;
    // A bad change to a stored group is refused like a bad creation.
    let mut bad = change.clone();
    bad["members"] = json!(["542525"]);
    refused(
        &app,
        reqwest::Method::PUT,
        "/api/v1/groups/ali-east",
        Some(&bad),
        (422, "invalid_group", Some("members")),
    )
    .await?;
    // Unknown fields are refused too (the code is the path's, not the body's).
    let mut extra = change.clone();
    extra["code"] = json!("renamed");
    let (status, _) = send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/groups/ali-east",
        Some(&extra),
    )
    .await?;
    assert_eq!(status, 400);

    assert_eq!(groups(&app).await?, before, "nothing changed");
    let audit = group_audit(&app).await?;
    assert_eq!(
        audit.len(),
        1,
        "only the one creation is audited: {audit:?}"
    );
    Ok(())
}

async fn only_admins_write_groups_and_every_caller_reads_them(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (status, _) = app.post("/api/v1/groups", &east()).await?;
    assert_eq!(status, 201);
    let before = groups(&app).await?;
    let viewer = app
        .client_as("viewer-ali", "viewer", Some("542500"), &[])
        .await?;
    let reviewer = app
        .client_as("reviewer-ali", "reviewer", Some("542500"), &[])
        .await?;
    let (status, key) = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "provincial system", "scope_code": "542500"}),
        )
        .await?;
    assert_eq!(status, 201, "{key}");
    let consumer = client_with(&[("x-api-key", field_str(&key, "secret"))])?;

    for (who, client) in [
        ("viewer", &viewer),
        ("reviewer", &reviewer),
        ("api key", &consumer),
    ] {
        let (status, listed) = json_of(client.get(app.url("/api/v1/groups")).send().await?).await?;
        assert_eq!(status, 200, "{who} reads: {listed}");
        assert_eq!(listed, Value::Array(before.clone()), "{who} reads the same");
    }
    let change = json!({"name_zh": "改", "name_en": "changed", "members": ["542525", "542526"]});
    for (who, client, refusal) in [
        ("viewer", &viewer, 403),
        ("reviewer", &reviewer, 403),
        ("api key", &consumer, 401),
    ] {
        let mut new = east();
        new["code"] = json!(format!("by-{}", who.replace(' ', "-")));
        let attempts = [
            client.post(app.url("/api/v1/groups")).json(&new),
            client.put(app.url("/api/v1/groups/ali-east")).json(&change),
            client.delete(app.url("/api/v1/groups/ali-east")),
        ];
        for attempt in attempts {
            let (status, body) = json_of(attempt.send().await?).await?;
            assert_eq!(status, refusal, "{who}: {body}");
            if refusal == 403 {
                assert_eq!(field_str(&body, "code"), "forbidden");
            }
        }
    }
    let anonymous = reqwest::Client::new();
    let (status, _) = json_of(anonymous.get(app.url("/api/v1/groups")).send().await?).await?;
    assert_eq!(status, 401);
    assert_eq!(groups(&app).await?, before, "nothing changed");
    assert_eq!(group_audit(&app).await?.len(), 1);
    Ok(())
}
