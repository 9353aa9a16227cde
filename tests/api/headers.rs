//! Security headers on every kind of response, and `HEAD` on the pages.

use anyhow::Result;
use e2e::{Backend, TestApp, example_survey, on_both_backends};
use reqwest::header::HeaderMap;

use crate::attachments::{PNG, form};

on_both_backends!(every_response_has_security_headers, head_answers_like_get);

/// The headers every response carries.
const SECURITY: [&str; 3] = [
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
];

/// Checks the security headers of one response; `what` names it in a failure.
fn assert_secured(headers: &HeaderMap, what: &str) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_owned()
    };
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    let policy = header("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            policy.split(';').any(|d| d.trim() == directive),
            "{what}: {directive} missing from {policy}"
        );
    }
    assert!(!policy.contains("unsafe-inline"), "{what}: {policy}");
}

async fn every_response_has_security_headers(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let survey = example_survey();
    let id = survey["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(app.post("/api/v1/surveys", &survey).await?.0, 201);
    let uploaded = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{id}/attachments")))
        .multipart(form(PNG.to_vec(), "field.png", "image/png")?)
        .send()
        .await?;
    assert_eq!(uploaded.status().as_u16(), 201);
    assert_secured(uploaded.headers(), "photo upload");
    let sha = uploaded.json::<serde_json::Value>().await?["sha256"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    for (path, status) in [
        ("/", 200),
        ("/collect/", 200),
        ("/collect/app.js", 200),
        ("/shared/api.js", 200),
        ("/api/v1/regions", 200),
        (&format!("/api/v1/surveys/{id}") as &str, 200),
        (&format!("/api/v1/surveys/{id}/attachments/{sha}"), 200),
        ("/api/v1/nothing-here", 404),
        ("/no-such-page.html", 404),
        ("/healthz", 200),
    ] {
        let response = app.client.get(app.url(path)).send().await?;
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_secured(response.headers(), path);
    }
    // A refusal from the middleware itself (no credential) is covered too.
    let refused = reqwest::get(app.url("/api/v1/surveys")).await?;
    assert_eq!(refused.status().as_u16(), 401);
    assert_secured(refused.headers(), "401");

    // The Swagger UI runs inline scripts: its own policy allows them, and still no frames.
    let docs = app.client.get(app.url("/docs/")).send().await?;
    assert_eq!(docs.status().as_u16(), 200);
    let policy = docs.headers()["content-security-policy"]
        .to_str()?
        .to_owned();
    assert!(
        policy.contains("script-src 'self' 'unsafe-inline'"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(docs.headers()["x-content-type-options"], "nosniff");
    Ok(())
}

async fn head_answers_like_get(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    for path in ["/", "/collect/", "/collect/app.js", "/style.css"] {
        let get = app.client.get(app.url(path)).send().await?;
        assert_eq!(get.status().as_u16(), 200, "GET {path}");
        let get_headers = get.headers().clone();
        let get_length = get.bytes().await?.len();
        assert!(get_length > 0, "GET {path} has a body");

        let head = app.client.head(app.url(path)).send().await?;
        assert_eq!(head.status().as_u16(), 200, "HEAD {path}");
        let head_headers = head.headers().clone();
        for name in SECURITY
            .iter()
            .copied()
            .chain(["content-type", "etag", "last-modified"])
        {
            assert_eq!(
                head_headers.get(name),
                get_headers.get(name),
                "HEAD {path}: {name}"
            );
        }
        assert_eq!(
            head_headers
                .get("content-length")
                .and_then(|v| v.to_str().ok()),
            Some(get_length.to_string().as_str()),
            "HEAD {path}: the GET's length"
        );
        assert!(head.bytes().await?.is_empty(), "HEAD {path}: no body");
    }
    Ok(())
}
