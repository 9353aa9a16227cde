//! The authorization matrix: every operation of the OpenAPI document × every kind of
//! caller, in and out of scope, plus no credentials, an expired key, a revoked token and
//! a disabled account.
//!
//! Operations are read from `/openapi.json`, and each must have a rule in [`rule`]: a new
//! endpoint without one fails this test until someone decides who may call it.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use e2e::{
    Backend, TestApp, client_with, example_survey, field_object, field_str, json_of,
    on_both_backends,
};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use uuid::Uuid;

on_both_backends!(every_operation_has_a_rule_and_obeys_it);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    Anonymous,
    /// Technician in 542523 who submitted the target survey.
    TechAuthor,
    /// Another technician in 542523.
    TechOther,
    ViewerIn,
    ViewerOut,
    ReviewerIn,
    ReviewerOut,
    Admin,
    KeyIn,
    KeyOut,
    ExpiredKey,
    RevokedToken,
    DisabledUser,
}

const CALLERS: [Caller; 13] = [
    Caller::Anonymous,
    Caller::TechAuthor,
    Caller::TechOther,
    Caller::ViewerIn,
    Caller::ViewerOut,
    Caller::ReviewerIn,
    Caller::ReviewerOut,
    Caller::Admin,
    Caller::KeyIn,
    Caller::KeyOut,
    Caller::ExpiredKey,
    Caller::RevokedToken,
    Caller::DisabledUser,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 2xx.
    Allowed,
    Unauthorized,
    Forbidden,
    NotFound,
}

use Caller::*;
use Expect::*;

fn invalid_credentials(caller: Caller) -> bool {
    matches!(caller, Anonymous | ExpiredKey | RevokedToken | DisabledUser)
}

/// Who may call each operation. Out-of-scope reads are 404, as if the record did not
/// exist; what a role may never do is 403; people-only operations refuse API keys (401).
fn rule(operation: &str) -> Option<fn(Caller) -> Expect> {
    let public: fn(Caller) -> Expect = |_| Allowed;
    let any_authenticated: fn(Caller) -> Expect = |c| {
        if invalid_credentials(c) {
            Unauthorized
        } else {
            Allowed
        }
    };
    let read_survey: fn(Caller) -> Expect = |c| match c {
        _ if invalid_credentials(c) => Unauthorized,
        TechAuthor | ViewerIn | ReviewerIn | Admin | KeyIn => Allowed,
        _ => NotFound,
    };
    let submit: fn(Caller) -> Expect = |c| match c {
        _ if invalid_credentials(c) => Unauthorized,
        KeyIn | KeyOut => Unauthorized,
        TechAuthor | TechOther | Admin => Allowed,
        _ => Forbidden,
    };
    let change_survey: fn(Caller) -> Expect = |c| match c {
        _ if invalid_credentials(c) => Unauthorized,
        KeyIn | KeyOut => Unauthorized,
        TechAuthor | Admin => Allowed,
        TechOther => NotFound,
        _ => Forbidden,
    };
    let review: fn(Caller) -> Expect = |c| match c {
        _ if invalid_credentials(c) => Unauthorized,
        KeyIn | KeyOut => Unauthorized,
        ReviewerIn | Admin => Allowed,
        ReviewerOut => NotFound,
        _ => Forbidden,
    };
    let bulk_review: fn(Caller) -> Expect = |c| match c {
        _ if invalid_credentials(c) => Unauthorized,
        KeyIn | KeyOut => Unauthorized,
        // Out of scope, a bulk review simply matches nothing.
        ReviewerIn | ReviewerOut | Admin => Allowed,
        _ => Forbidden,
    };
    let people: fn(Caller) -> Expect = |c| match c {
        _ if invalid_credentials(c) => Unauthorized,
        KeyIn | KeyOut => Unauthorized,
        _ => Allowed,
    };
    let admin: fn(Caller) -> Expect = |c| match c {
        _ if invalid_credentials(c) => Unauthorized,
        KeyIn | KeyOut => Unauthorized,
        Admin => Allowed,
        _ => Forbidden,
    };
    Some(match operation {
        "listRegions" | "getRegion" | "login" | "getServerInfo" => public,
        "me"
        | "listSurveys"
        | "listSurveyYears"
        | "indicators"
        | "progress"
        | "chart"
        | "listTargets"
        | "annualReport"
        | "listCoefficients"
        | "applicableCoefficients"
        | "applicableTargets"
        | "listPlans"
        | "listGroups" => any_authenticated,
        // The dashboard's facts read like the indicators: any caller, within its scope.
        "surveyFacts" => any_authenticated,
        // The dashboard's sums read like the indicators too.
        "surveySums" => any_authenticated,
        // Exports read like listSurveys: any caller, limited to what it may see.
        "exportSurveysCsv"
        | "exportSurveysXlsx"
        | "exportSurveysGeoJson"
        | "exportSurveysNdjson"
        | "exportIndicatorsCsv"
        | "exportIndicatorsXlsx"
        | "exportIndicatorsNdjson" => any_authenticated,
        "getSurvey" | "surveyHistory" | "listPhotos" | "getPhoto" => read_survey,
        "createSurvey" | "syncSurveys" => submit,
        "correctSurvey" | "attachPhoto" => change_survey,
        "reviewSurvey" => review,
        "bulkReviewSurveys" => bulk_review,
        "logout" => people,
        "listUsers" | "createUser" | "getUser" | "updateUser" | "listDeviceTokens"
        | "issueDeviceToken" | "revokeDeviceToken" | "listApiKeys" | "createApiKey"
        | "revokeApiKey" | "listAudit" | "putTarget" | "deleteTarget" | "putCoefficient"
        | "deleteCoefficient" | "createGroup" | "updateGroup" | "deleteGroup" => admin,
        _ => return None,
    })
}

/// The callers' credentials and the records the operations act on.
struct World {
    headers: BTreeMap<Caller, Vec<(String, String)>>,
    passwords: BTreeMap<Caller, (String, String)>,
    survey_id: String,
    photo_sha: String,
    target_user: String,
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

async fn world(app: &mut TestApp) -> Result<World> {
    let mut headers = BTreeMap::new();
    let mut passwords = BTreeMap::new();
    let bearer = |token: String| vec![("authorization".to_owned(), format!("Bearer {token}"))];
    headers.insert(Anonymous, Vec::new());
    headers.insert(
        Admin,
        bearer(app.login("admin", &app.admin_password).await?),
    );
    passwords.insert(Admin, ("admin".to_owned(), app.admin_password.clone()));
    let people = [
        (
            TechAuthor,
            "tech-author",
            "technician",
            None,
            &["542523"][..],
        ),
        (TechOther, "tech-other", "technician", None, &["542523"][..]),
        (ViewerIn, "viewer-in", "viewer", Some("542500"), &[][..]),
        (ViewerOut, "viewer-out", "viewer", Some("630000"), &[][..]),
        (
            ReviewerIn,
            "reviewer-in",
            "reviewer",
            Some("542500"),
            &[][..],
        ),
        (
            ReviewerOut,
            "reviewer-out",
            "reviewer",
            Some("630000"),
            &[][..],
        ),
        (
            DisabledUser,
            "viewer-disabled",
            "viewer",
            Some("542500"),
            &[][..],
        ),
    ];
    let mut ids = BTreeMap::new();
    for (caller, name, role, scope, counties) in people {
        let (id, password) = app.create_user(name, role, scope, counties).await?;
        headers.insert(caller, bearer(app.login(name, &password).await?));
        passwords.insert(caller, (name.to_owned(), password));
        ids.insert(caller, id);
    }
    for (caller, scope, expires) in [
        (KeyIn, "542500", None),
        (KeyOut, "630000", None),
        (
            ExpiredKey,
            "542500",
            Some((chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339()),
        ),
    ] {
        let (status, key) = app
            .post(
                "/api/v1/api-keys",
                &json!({"name": format!("{caller:?}"), "scope_code": scope, "expires_at": expires}),
            )
            .await?;
        if status != 201 {
            bail!("creating a key: {status} {key}");
        }
        headers.insert(
            caller,
            vec![("x-api-key".to_owned(), field_str(&key, "secret").to_owned())],
        );
    }
    let author = ids.get(&TechAuthor).context("the author was created")?;
    let (_, device) = app
        .post(
            &format!("/api/v1/users/{author}/device-tokens"),
            &json!({"name": "lost phone"}),
        )
        .await?;
    let token_id = field_str(&device, "credential.id");
    app.client
        .delete(app.url(&format!("/api/v1/users/{author}/device-tokens/{token_id}")))
        .send()
        .await?;
    headers.insert(
        RevokedToken,
        bearer(field_str(&device, "secret").to_owned()),
    );
    let disabled = ids
        .get(&DisabledUser)
        .context("the disabled user was created")?;
    app.client
        .patch(app.url(&format!("/api/v1/users/{disabled}")))
        .json(&json!({"active": false}))
        .send()
        .await?;

    // The target survey, by the author, with a photo.
    let author_client = client_for(&headers, TechAuthor)?;
    let survey = example_survey();
    let (status, _) = json_of(
        author_client
            .post(app.url("/api/v1/surveys"))
            .json(&survey)
            .send()
            .await?,
    )
    .await?;
    if status != 201 {
        bail!("creating the target survey: {status}");
    }
    let survey_id = field_str(&survey, "id").to_owned();
    let form = Form::new().part(
        "file",
        Part::bytes(PNG.to_vec())
            .file_name("p.png")
            .mime_str("image/png")?,
    );
    let (_, photo) = json_of(
        author_client
            .post(app.url(&format!("/api/v1/surveys/{survey_id}/attachments")))
            .multipart(form)
            .send()
            .await?,
    )
    .await?;
    let (target_user, _) = app
        .create_user("matrix-target", "viewer", Some("542500"), &[])
        .await?;
    // An hour passes for the server: the short-lived key expires, sessions do not.
    app.advance_clock(chrono::TimeDelta::hours(1)).await?;
    Ok(World {
        headers,
        passwords,
        survey_id,
        photo_sha: field_str(&photo, "sha256").to_owned(),
        target_user,
    })
}

fn client_for(
    headers: &BTreeMap<Caller, Vec<(String, String)>>,
    caller: Caller,
) -> Result<reqwest::Client> {
    let pairs: Vec<(&str, &str)> = headers
        .get(&caller)
        .with_context(|| format!("no headers for {caller:?}"))?
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    client_with(&pairs)
}

/// Sends `operation` as `caller`, creating whatever the call consumes (a fresh key to
/// revoke, a fresh session to sign out) so that calls do not disturb each other.
async fn call(
    app: &TestApp,
    world: &World,
    method: &str,
    path: &str,
    operation: &str,
    caller: Caller,
) -> Result<u16> {
    let mut client = client_for(&world.headers, caller)?;
    if operation == "logout" {
        if let (Some((user, password)), false) =
            (world.passwords.get(&caller), invalid_credentials(caller))
        {
            let fresh = app.login(user, password).await?;
            client = client_with(&[("authorization", &format!("Bearer {fresh}"))])?;
        }
    }
    let mut path = path.to_owned();
    if path.starts_with("/v1/groups/{code}") {
        // A group of its own to change or remove.
        let code = format!("g-{}", &Uuid::new_v4().simple().to_string()[..12]);
        app.post(
            "/api/v1/groups",
            &json!({"code": code, "name_zh": "矩阵", "name_en": "matrix",
                    "members": ["542523", "542521"]}),
        )
        .await?;
        path = path.replace("{code}", &code);
    }
    let mut path = path
        .replace("{file}", "indicator_by_region.svg")
        .replace("{sha256}", &world.photo_sha)
        .replace("{code}", "542523");
    if path.starts_with("/v1/surveys/{id}") {
        path = path.replace("{id}", &world.survey_id);
    } else if path.starts_with("/v1/users/{id}") {
        path = path.replace("{id}", &world.target_user);
    }
    if path.contains("{token_id}") {
        let (_, issued) = app
            .post(
                &format!("/api/v1/users/{}/device-tokens", world.target_user),
                &json!({"name": "t"}),
            )
            .await?;
        path = path.replace("{token_id}", field_str(&issued, "credential.id"));
    }
    if path.starts_with("/v1/coefficients/{region_code}") {
        // Something to replace or remove.
        app.put(
            "/api/v1/coefficients/630100/2026/straw_grain_ratio/corn",
            &json!({"value": 1.1, "source": "matrix"}),
            &[],
        )
        .await?;
        path = path
            .replace("{region_code}", "630100")
            .replace("{valid_from}", "2026")
            .replace("{kind}", "straw_grain_ratio")
            .replace("{key}", "corn");
    }
    if path.contains("{region_code}") {
        // Something to replace or remove.
        app.put(
            "/api/v1/targets/630100/film_recovery_rate/2027",
            &json!({"target": 0.8, "source": "matrix"}),
            &[],
        )
        .await?;
        path = path
            .replace("{region_code}", "630100")
            .replace("{indicator}", "film_recovery_rate")
            .replace("{year}", "2027");
    }
    if path == "/v1/api-keys/{id}" {
        let (_, key) = app
            .post(
                "/api/v1/api-keys",
                &json!({"name": "to revoke", "scope_code": "542500"}),
            )
            .await?;
        path = path.replace("{id}", field_str(&key, "credential.id"));
    }
    if operation == "annualReport" {
        path.push_str("?year=2025");
    }
    if operation == "applicableCoefficients" {
        path.push_str("?region=542523&year=2025");
    }
    if operation == "applicableTargets" {
        path.push_str("?region=542523");
    }
    let url = app.url(&format!("/api{path}"));
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes())?;
    let mut request = client.request(method, &url);
    let body: Option<Value> = match operation {
        "createSurvey" => Some(example_survey()),
        "syncSurveys" => Some(json!({"surveys": [example_survey()]})),
        "correctSurvey" => {
            let (_, current) = app
                .get(&format!("/api/v1/surveys/{}", world.survey_id))
                .await?;
            let mut survey = current["survey"].clone();
            survey["household"] = json!(format!("HH-{}", Uuid::new_v4().simple()));
            Some(json!({"survey": survey, "base_version": current["version"]}))
        }
        "reviewSurvey" => Some(json!({"state": "approved"})),
        "bulkReviewSurveys" => Some(json!({"filter": {"region": "542523"}, "state": "approved"})),
        "login" => {
            let (user, password) = world
                .passwords
                .get(&Admin)
                .context("the admin's password")?;
            Some(json!({"username": user, "password": password}))
        }
        "createUser" => Some(json!({
            "username": format!("u-{}", &Uuid::new_v4().simple().to_string()[..12]),
            "role": "viewer", "scope_code": "542500", "password": "a-long-enough-password",
        })),
        "updateUser" => Some(json!({"display_name": "changed"})),
        "putTarget" => Some(json!({"target": 0.85, "source": "matrix"})),
        "putCoefficient" => Some(json!({"value": 1.2, "source": "matrix"})),
        "createGroup" => Some(json!({
            "code": format!("g-{}", &Uuid::new_v4().simple().to_string()[..12]),
            "name_zh": "矩阵", "name_en": "matrix", "members": ["542523", "542521"],
        })),
        "updateGroup" => Some(json!({
            "name_zh": "矩阵", "name_en": "matrix", "members": ["542523", "542522"],
        })),
        "issueDeviceToken" => Some(json!({"name": "phone"})),
        "createApiKey" => Some(json!({"name": "consumer", "scope_code": "542500"})),
        _ => None,
    };
    if let Some(body) = body {
        request = request.json(&body);
    }
    if operation == "attachPhoto" {
        request = request.multipart(
            Form::new().part(
                "file",
                Part::bytes(PNG.to_vec())
                    .file_name("p.png")
                    .mime_str("image/png")?,
            ),
        );
    }
    Ok(request.send().await?.status().as_u16())
}

fn matches(expect: Expect, status: u16) -> bool {
    match expect {
        Allowed => (200..300).contains(&status),
        Unauthorized => status == 401,
        Forbidden => status == 403,
        NotFound => status == 404,
    }
}

async fn every_operation_has_a_rule_and_obeys_it(backend: Backend) -> Result<()> {
    let mut app = TestApp::spawn(backend).await?;
    let (_, spec) = app.get("/openapi.json").await?;
    let mut operations = Vec::new();
    for (path, methods) in field_object(&spec, "paths") {
        let methods = methods
            .as_object()
            .with_context(|| format!("the operations of {path}: {methods}"))?;
        for (method, operation) in methods {
            let id = field_str(operation, "operationId").to_owned();
            operations.push((id, method.clone(), path.clone(), operation.clone()));
        }
    }
    operations.sort_by(|a, b| a.0.cmp(&b.0));
    let missing: Vec<&str> = operations
        .iter()
        .filter(|o| rule(&o.0).is_none())
        .map(|o| o.0.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "operations without an authorization rule: {missing:?}"
    );
    assert!(
        operations.len() >= 26,
        "only {} operations in the document",
        operations.len()
    );

    // The document declares how to authenticate, and which operations need it.
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["BearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["ApiKeyAuth"]["name"], "X-API-Key");
    for (id, _, _, operation) in &operations {
        let public = rule(id).is_some_and(|r| r(Anonymous) == Allowed);
        assert_eq!(
            operation["security"].is_null(),
            public,
            "{id}: security declaration"
        );
    }

    // The document says which refusals each operation can answer: 401 wherever a caller
    // can be unauthenticated, 403 exactly where a role can be refused.
    for (id, _, _, operation) in &operations {
        let Some(rule) = rule(id) else { continue };
        let responses = &operation["responses"];
        let can = |expect: Expect| CALLERS.iter().any(|c| rule(*c) == expect);
        assert_eq!(
            responses["401"].is_object(),
            can(Unauthorized) || *id == "login",
            "{id}: 401 documented"
        );
        assert_eq!(
            responses["403"].is_object(),
            can(Forbidden),
            "{id}: 403 documented"
        );
    }

    let world = world(&mut app).await?;
    let mut wrong = Vec::new();
    for (id, method, path, _) in &operations {
        let Some(rule) = rule(id) else { continue };
        for caller in CALLERS {
            let expect = rule(caller);
            let status = call(&app, &world, method, path, id, caller).await?;
            if !matches(expect, status) {
                wrong.push(format!(
                    "{id} as {caller:?}: expected {expect:?}, got {status}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} calls broke the rules:\n{}",
        wrong.len(),
        operations.len() * CALLERS.len(),
        wrong.join("\n")
    );

    // Scoped listings: in scope sees the target survey, out of scope does not.
    for (caller, sees) in [
        (TechAuthor, true),
        (TechOther, false),
        (ViewerIn, true),
        (ViewerOut, false),
        (KeyIn, true),
        (KeyOut, false),
    ] {
        let client = client_for(&world.headers, caller)?;
        let (_, page) = json_of(
            client
                .get(app.url("/api/v1/surveys?limit=1000"))
                .send()
                .await?,
        )
        .await?;
        let found = page["items"].as_array().is_some_and(|items| {
            items
                .iter()
                .any(|i| i["survey"]["id"] == world.survey_id.as_str())
        });
        assert_eq!(found, sees, "{caller:?} listing");
    }
    Ok(())
}
