//! What a browser gets outside the API: the "not found" page for an address with no page
//! (the API and other clients keep the JSON error), and the site's icon.

use anyhow::Result;
use e2e::{Backend, TestApp, field_str, json_of, on_both_backends};

on_both_backends!(
    an_unknown_address_is_a_page_for_browsers_and_json_for_everyone_else,
    the_favicon_is_the_sites_svg_icon,
);

/// What Chromium sends when it navigates to an address.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";

async fn an_unknown_address_is_a_page_for_browsers_and_json_for_everyone_else(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let page = |path: &str, accept: &str| {
        app.client
            .get(app.url(path))
            .header("accept", accept.to_owned())
            .send()
    };

    // A browser following a broken link: the page, status 404, in both languages with
    // a link home, under the pages' Content-Security-Policy.
    for path in ["/nope", "/dashboard/nope", "/collects/", "/nope.html"] {
        let response = page(path, BROWSER_ACCEPT).await?;
        assert_eq!(response.status().as_u16(), 404, "{path}");
        let headers = response.headers().clone();
        assert_eq!(
            headers["content-type"], "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(headers["vary"], "accept", "{path}");
        assert!(headers.contains_key("x-request-id"), "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()?
                .contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}"
        );
        let body = response.text().await?;
        for text in [
            "找不到此页面",
            "Page not found",
            r#"href="/""#,
            "/style.css",
            "/favicon.svg",
        ] {
            assert!(body.contains(text), "{path}: {text} not in the page");
        }
        // HEAD answers as GET does, without the body.
        let head = app
            .client
            .head(app.url(path))
            .header("accept", BROWSER_ACCEPT)
            .send()
            .await?;
        assert_eq!(head.status().as_u16(), 404, "HEAD {path}");
        assert_eq!(head.headers()["content-type"], "text/html; charset=utf-8");
    }

    // Everyone else gets the API's error body: the API itself whatever the Accept header
    // says, fetch() and curl (*/*), an API client, no Accept at all.
    for (path, accept) in [
        ("/api/v1/nothing-here", BROWSER_ACCEPT),
        (
            "/api/v1/surveys/00000000-0000-4000-8000-000000000000",
            BROWSER_ACCEPT,
        ),
        ("/api", BROWSER_ACCEPT),
        ("/nope", "*/*"),
        ("/nope", "application/json"),
        ("/nope", "application/json, text/html;q=0.9"),
    ] {
        let (status, body) = json_of(page(path, accept).await?).await?;
        assert_eq!(status, 404, "{path} ({accept})");
        assert_eq!(field_str(&body, "code"), "not_found", "{path} ({accept})");
        assert!(!field_str(&body, "message_zh").is_empty(), "{path}");
    }
    let (status, body) = json_of(reqwest::get(app.url("/nope")).await?).await?;
    assert_eq!(status, 404);
    assert_eq!(field_str(&body, "code"), "not_found");

    // A page that exists is the page, for a browser as for anyone.
    let landing = page("/", BROWSER_ACCEPT).await?;
    assert_eq!(landing.status().as_u16(), 200);
    assert!(landing.text().await?.contains("/landing.js"));
    Ok(())
}

async fn the_favicon_is_the_sites_svg_icon(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let svg = reqwest::get(app.url("/favicon.svg")).await?;
    assert_eq!(svg.status().as_u16(), 200);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await?.starts_with("<svg"));

    // /favicon.ico, which browsers ask for by themselves, leads there.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let ico = no_redirects.get(app.url("/favicon.ico")).send().await?;
    assert_eq!(ico.status().as_u16(), 308);
    assert_eq!(ico.headers()["location"], "/favicon.svg");
    let followed = reqwest::get(app.url("/favicon.ico")).await?;
    assert_eq!(followed.status().as_u16(), 200);
    assert_eq!(followed.headers()["content-type"], "image/svg+xml");
    Ok(())
}
