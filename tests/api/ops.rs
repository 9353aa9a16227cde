//! Operations: health probes, API document and docs page, landing page, the common error
//! shape for unknown routes, regions, graceful shutdown.

use anyhow::{Context, Result};
use e2e::{Backend, TestApp, on_both_backends};

on_both_backends!(
    probes_docs_and_pages,
    regions_are_seeded,
    sigterm_stops_cleanly,
    the_public_url_is_a_setting_clients_can_read
);

async fn probes_docs_and_pages(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    assert_eq!(
        app.get("/healthz").await?,
        (200, serde_json::json!({"status": "ok"}))
    );
    assert_eq!(
        app.get("/readyz").await?,
        (200, serde_json::json!({"status": "ok"}))
    );

    let (status, spec) = app.get("/openapi.json").await?;
    assert_eq!(status, 200);
    for path in [
        "/v1/surveys",
        "/v1/surveys/batch",
        "/v1/surveys/{id}",
        "/v1/surveys/{id}/history",
        "/v1/surveys/{id}/attachments",
        "/v1/surveys/{id}/attachments/{sha256}",
        "/v1/regions",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the API document"
        );
    }
    assert!(spec["components"]["schemas"]["Survey"].is_object());
    assert!(spec["components"]["schemas"]["ErrorBody"].is_object());

    let docs = app.client.get(app.url("/docs/")).send().await?;
    assert_eq!(docs.status().as_u16(), 200);
    assert!(docs.text().await?.contains("swagger"));

    let landing = app.client.get(app.url("/")).send().await?;
    assert_eq!(landing.status().as_u16(), 200);
    let html = landing.text().await?;
    assert!(
        html.contains("/docs"),
        "the landing page links the API docs"
    );

    let (status, body) = app.get("/api/v1/nothing-here").await?;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    assert!(body["message_zh"].is_string() && body["message_en"].is_string());
    let response = app.client.delete(app.url("/api/v1/surveys")).send().await?;
    assert_eq!(response.status().as_u16(), 405);
    assert!(response.headers().contains_key("x-request-id"));
    Ok(())
}

/// The address phones reach is the operator's setting, read by anyone from
/// `/api/v1/server` (the admin page builds device-token links from it), named as the
/// API document's server, and refused at start-up unless it is an absolute http(s) URL.
async fn the_public_url_is_a_setting_clients_can_read(backend: Backend) -> Result<()> {
    let unset = TestApp::spawn(backend).await?;
    let anonymous = reqwest::Client::new();
    let (status, info) =
        e2e::json_of(anonymous.get(unset.url("/api/v1/server")).send().await?).await?;
    assert_eq!((status, info), (200, serde_json::json!({})));

    let app = TestApp::spawn_with(backend, &["--public-url", "https://survey.example.cn/"]).await?;
    let (status, info) =
        e2e::json_of(anonymous.get(app.url("/api/v1/server")).send().await?).await?;
    assert_eq!(
        (status, info),
        (
            200,
            serde_json::json!({"public_url": "https://survey.example.cn"})
        )
    );
    let (_, spec) = app.get("/openapi.json").await?;
    assert_eq!(
        e2e::field_str(&spec, "servers.0.url"),
        "https://survey.example.cn/api"
    );

    let refused = |args: &[&str]| {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        match app.cli(&args) {
            Ok(stdout) => format!("started: {stdout}"),
            Err(err) => format!("{err:#}"),
        }
    };
    let flag = refused(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--public-url",
        "survey.example.cn",
    ]);
    assert!(flag.contains("absolute http:// or https:// URL"), "{flag}");
    let file = app.dir().join("bad-public-url.toml");
    std::fs::write(&file, "public_url = \"ftp://survey.example.cn\"\n")?;
    let file = file.to_string_lossy().into_owned();
    let from_file = refused(&["serve", "--bind", "127.0.0.1:0", "--config", &file]);
    assert!(
        from_file.contains("absolute http:// or https:// URL") && from_file.contains("public_url"),
        "{from_file}"
    );
    Ok(())
}

async fn regions_are_seeded(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (status, regions) = app.get("/api/v1/regions").await?;
    assert_eq!(status, 200);
    let regions = regions
        .as_array()
        .with_context(|| format!("the regions are not an array: {regions}"))?;
    assert_eq!(regions.len(), 33);
    let ali = regions
        .iter()
        .find(|r| r["code"] == "542500")
        .with_context(|| format!("no 阿里 (542500) in {regions:?}"))?;
    assert_eq!(ali["name_zh"], "阿里地区");
    assert_eq!(ali["level"], "prefecture");
    assert_eq!(ali["children"].as_array().map(Vec::len), Some(7));
    let (status, gar) = app.get("/api/v1/regions/542523").await?;
    assert_eq!((status, gar["parent_code"].as_str()), (200, Some("542500")));
    assert_eq!(app.get("/api/v1/regions/000000").await?.0, 404);
    Ok(())
}

async fn sigterm_stops_cleanly(backend: Backend) -> Result<()> {
    let mut app = TestApp::spawn(backend).await?;
    assert_eq!(
        app.post("/api/v1/surveys", &e2e::example_survey()).await?.0,
        201
    );
    assert!(
        app.terminate().await?,
        "the server should exit 0 on SIGTERM; log:\n{}",
        app.log()
    );
    assert!(app.log().contains("shutdown signal received"));
    Ok(())
}

on_both_backends!(the_openapi_document_says_what_responses_hold);

/// Regression (reliability suite, found by schemathesis): fields the server sends as
/// `null` were documented as plain numbers, and the GeoJSON export as bytes although
/// its content type is JSON.
async fn the_openapi_document_says_what_responses_hold(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (status, spec) = app.get("/openapi.json").await?;
    assert_eq!(status, 200);
    let estimate = &spec["components"]["schemas"]["IndicatorEstimate"]["properties"];
    for field in ["rate", "unweighted_rate", "se", "ci_low", "ci_high"] {
        assert_eq!(
            estimate[field]["nullable"], true,
            "IndicatorEstimate.{field}"
        );
    }
    let geojson = &spec["paths"]["/v1/exports/surveys.geojson"]["get"]["responses"]["200"]["content"]
        ["application/geo+json"]["schema"];
    assert_eq!(geojson["type"], "object", "{geojson}");
    // And a group with one household does send nulls there.
    let (status, _) = app.post("/api/v1/surveys", &e2e::example_survey()).await?;
    assert_eq!(status, 201);
    let (status, body) = app.get("/api/v1/indicators?level=county").await?;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("\"se\":null"), "{body}");
    Ok(())
}

on_both_backends!(the_openapi_document_is_exact);

/// Issue 15: what client generators read is what the server does. Parameters with listed
/// values are enumerations of the domain's keys and of this server's regions; every link
/// leads to a real operation and names its parameters; bodies that refuse unknown
/// fields say so; a method a path lacks is a 405 naming the methods it has.
async fn the_openapi_document_is_exact(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (status, spec) = app.get("/openapi.json").await?;
    assert_eq!(status, 200);
    let param = |path: &str, method: &str, name: &str| -> serde_json::Value {
        spec["paths"][path][method]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name).cloned())
            .unwrap_or_default()
    };
    let resolve = |schema: &serde_json::Value| -> serde_json::Value {
        match schema["$ref"].as_str() {
            Some(r) => {
                spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")].clone()
            }
            None => schema.clone(),
        }
    };

    // Listed values: the analytics crate's keys, this server's region codes.
    let indicators = resolve(&param("/v1/indicators", "get", "indicator")["schema"]);
    let keys: Vec<&str> = agriwaste_analytics::indicators::Indicator::ALL
        .iter()
        .map(|i| i.key())
        .collect();
    assert_eq!(indicators["enum"], serde_json::json!(keys), "{indicators}");
    let kinds = resolve(
        &param(
            "/v1/coefficients/{region_code}/{valid_from}/{kind}/{key}",
            "put",
            "kind",
        )["schema"],
    );
    assert_eq!(
        kinds["enum"],
        serde_json::json!(
            agriwaste_analytics::coefficients::CoefficientKind::ALL
                .map(|k| k.key())
                .to_vec()
        )
    );
    let (_, regions) = app.get("/api/v1/regions").await?;
    let mut codes: Vec<serde_json::Value> = regions
        .as_array()
        .context("regions")?
        .iter()
        .map(|r| r["code"].clone())
        .collect();
    let region = resolve(&param("/v1/sums", "get", "region")["schema"]);
    let mut listed = region["enum"].as_array().cloned().unwrap_or_default();
    listed.sort_by_key(|v| v.to_string());
    codes.sort_by_key(|v| v.to_string());
    assert_eq!(listed, codes, "{region}");
    let or_national = param("/v1/targets/applicable", "get", "region")["schema"]["enum"].clone();
    assert!(
        or_national
            .as_array()
            .is_some_and(|l| l.contains(&serde_json::json!("national"))),
        "{or_national}"
    );
    let limit = &param("/v1/surveys", "get", "limit")["schema"];
    assert_eq!(
        (limit["minimum"].as_f64(), limit["maximum"].as_f64()),
        (Some(1.0), Some(1000.0))
    );

    // Closed bodies.
    for name in ["LoginRequest", "NewUserRequest", "Survey", "TargetRequest"] {
        assert_eq!(
            spec["components"]["schemas"][name]["additionalProperties"], false,
            "{name}"
        );
    }

    // Lists refused beyond a length say the length.
    for (name, field, max) in [
        ("SurveyBatch", "surveys", 500),
        ("BulkReviewFilter", "ids", 1000),
        ("ReviewRequest", "field_comments", 100),
    ] {
        let property = &spec["components"]["schemas"][name]["properties"][field];
        assert_eq!(property["maxItems"], max, "{name}.{field}: {property}");
    }
    // A coefficient's `value` must be sent, null or a number (null unconfirms it).
    let coefficient = &spec["components"]["schemas"]["CoefficientRequest"];
    assert!(
        coefficient["required"]
            .as_array()
            .is_some_and(|r| r.contains(&serde_json::json!("value"))),
        "{coefficient}"
    );
    // A body value of the wrong JSON type: 400 naming the field, in both languages,
    // without echoing the value.
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "someone", "password": 1234567890123_u64}))
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 400);
    let refused: serde_json::Value = response.json().await?;
    assert_eq!(refused["code"], "invalid_body", "{refused}");
    assert_eq!(refused["path"], "password", "{refused}");
    assert!(
        refused["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("文字"))
            && refused["message_en"] == "This field should be text"
            && !refused.to_string().contains("1234567890123"),
        "{refused}"
    );

    // Links: from a create operation to real operations, with their parameters.
    let mut operations = std::collections::BTreeMap::new();
    for (path, methods) in spec["paths"].as_object().context("paths")? {
        for (method, operation) in methods.as_object().context("methods")? {
            operations.insert(
                operation["operationId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                (path.clone(), method.clone(), operation.clone()),
            );
        }
    }
    let mut links = 0;
    for (id, (_, _, operation)) in &operations {
        for (status, response) in operation["responses"].as_object().context("responses")? {
            let Some(map) = response["links"].as_object() else {
                continue;
            };
            for (name, link) in map {
                links += 1;
                let target = link["operationId"].as_str().unwrap_or_default();
                let (_, _, to) = operations
                    .get(target)
                    .with_context(|| format!("{id} {status} links to no operation {target}"))?;
                for (parameter, value) in
                    link["parameters"].as_object().context("link parameters")?
                {
                    // A value taken from the response body names a field the response's
                    // schema has (followed through `$ref`s).
                    if let Some(pointer) = value
                        .as_str()
                        .and_then(|v| v.strip_prefix("$response.body#"))
                    {
                        let mut schema =
                            &response["content"]["application/json; charset=utf-8"]["schema"];
                        if schema.is_null() {
                            schema = &response["content"]["application/json"]["schema"];
                        }
                        for field in pointer.split('/').skip(1) {
                            // Through `$ref`s and the one-part `allOf`s that carry a
                            // field's description beside its type.
                            loop {
                                if let Some(name) = schema["$ref"].as_str() {
                                    let name = name.trim_start_matches("#/components/schemas/");
                                    schema = &spec["components"]["schemas"][name];
                                } else if schema["properties"].is_null()
                                    && schema["allOf"].is_array()
                                {
                                    schema = &schema["allOf"][0];
                                } else {
                                    break;
                                }
                            }
                            schema = &schema["properties"][field];
                        }
                        assert!(
                            !schema.is_null(),
                            "{id} → {name}: the {status} body has no {pointer}"
                        );
                    }
                    assert!(
                        to["parameters"]
                            .as_array()
                            .is_some_and(|ps| ps.iter().any(|p| &p["name"] == parameter)),
                        "{id} → {name}: {target} has no parameter {parameter}"
                    );
                }
            }
        }
    }
    assert!(links >= 10, "only {links} links");
    for (from, to) in [("createSurvey", "getSurvey"), ("createUser", "getUser")] {
        let (_, _, operation) = &operations[from];
        assert!(
            operation["responses"]["201"]["links"][to].is_object(),
            "{from} → {to}"
        );
    }

    // TRACE (any method a path lacks): 405, the methods it has in Allow.
    for (path, allow) in [
        ("/api/v1/regions", "GET, HEAD"),
        ("/api/v1/surveys/batch", "POST"),
        ("/api/v1/auth/login", "POST"),
    ] {
        let response = app
            .client
            .request(reqwest::Method::TRACE, app.url(path))
            .send()
            .await?;
        assert_eq!(response.status().as_u16(), 405, "{path}");
        assert_eq!(
            response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok()),
            Some(allow),
            "{path}"
        );
    }
    // HEAD, which Allow names beside GET, is answered.
    let head = app.client.head(app.url("/api/v1/regions")).send().await?;
    assert_eq!(head.status().as_u16(), 200);
    let response = app
        .client
        .delete(app.url("/api/v1/surveys/00000000-0000-0000-0000-000000000000/history"))
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("GET, HEAD")
    );
    Ok(())
}
