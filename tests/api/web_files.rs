//! The pages' files as a browser gets them: precompressed variants by `Accept-Encoding`,
//! versioned names cached for good, everything else revalidated with its ETag; ranges
//! and `HEAD` as before. (A variant older than its file is never sent: a unit test in
//! `server/src/web_assets.rs`, which can date the files of a directory of its own.)

use anyhow::{Context, Result};
use e2e::{Backend, TestApp, on_both_backends, repo_root};

use crate::compression::fetch;

on_both_backends!(
    pages_name_their_files_under_a_version_cached_for_good,
    files_come_precompressed_with_an_etag_per_variant,
    ranges_head_and_refused_names,
);

/// What Chromium sends.
const BROWSER: &str = "gzip, deflate, br, zstd";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn on_disk(path: &str) -> Result<Vec<u8>> {
    let file = repo_root().join("web").join(path);
    std::fs::read(&file).with_context(|| format!("{} (run just wasm)", file.display()))
}

/// The versioned prefix (`/v/<version>/`) a page names its scripts under.
fn prefix_in(page: &str) -> Result<String> {
    let start = page
        .find("/v/")
        .context("no versioned address in the page")?;
    let rest = &page[start + 3..];
    let end = rest.find('/').context("no version")?;
    Ok(format!("/v/{}/", &rest[..end]))
}

async fn pages_name_their_files_under_a_version_cached_for_good(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    for page in ["/collect/", "/dashboard/", "/"] {
        let first = fetch(&app.client, &app.url(page), BROWSER, &[]).await?;
        assert_eq!(first.status, 200, "{page}");
        assert_eq!(first.header("cache-control"), Some("no-cache"), "{page}");
        assert_eq!(first.header("content-encoding"), Some("br"), "{page}");
        assert_eq!(
            first.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{page}"
        );
        let html = String::from_utf8(first.body.clone())?;
        let prefix = prefix_in(&html)?;
        // Scripts and style sheets under the version; the icon keeps its address.
        assert!(
            html.contains(&format!("href=\"{prefix}style.css\"")) || page == "/collect/",
            "{page}: {html}"
        );
        assert!(html.contains(r#"href="/favicon.svg""#), "{page}");
        assert!(html.contains(&format!("src=\"{prefix}")), "{page}");

        // Revalidated: 304 on the ETag, in any coding.
        let etag = first
            .header("etag")
            .context("pages have an ETag")?
            .to_owned();
        let again = fetch(
            &app.client,
            &app.url(page),
            BROWSER,
            &[("if-none-match", &etag)],
        )
        .await?;
        assert_eq!(again.status, 304, "{page}");
        assert_eq!(again.header("etag"), Some(etag.as_str()), "{page}");
        let identity = fetch(&app.client, &app.url(page), "identity", &[]).await?;
        assert_eq!(identity.body, first.body, "{page}: the same page decoded");
        assert_ne!(
            identity.header("etag"),
            Some(etag.as_str()),
            "{page}: an ETag per variant"
        );
    }

    let page = fetch(&app.client, &app.url("/collect/"), BROWSER, &[]).await?;
    let prefix = prefix_in(std::str::from_utf8(&page.body)?)?;
    for (path, content_type) in [
        ("collect/app.js", "javascript"),
        ("shared/api.js", "javascript"),
        ("collect/collect.css", "text/css"),
        ("pkg/agriwaste_analytics.js", "javascript"),
        ("pkg/agriwaste_analytics_bg.wasm", "application/wasm"),
    ] {
        let versioned = fetch(
            &app.client,
            &app.url(&format!("{prefix}{path}")),
            BROWSER,
            &[],
        )
        .await?;
        assert_eq!(versioned.status, 200, "{path}");
        assert_eq!(versioned.header("cache-control"), Some(IMMUTABLE), "{path}");
        assert_eq!(
            versioned.header("content-encoding"),
            Some("br"),
            "{path} (its variant is older than the file? `just wasm` writes them)"
        );
        assert!(
            versioned
                .header("content-type")
                .is_some_and(|t| t.contains(content_type)),
            "{path}: {:?}",
            versioned.header("content-type")
        );
        assert_eq!(versioned.body, on_disk(path)?, "{path}: the file, decoded");

        // The plain name works too, revalidated.
        let plain = fetch(&app.client, &app.url(&format!("/{path}")), BROWSER, &[]).await?;
        assert_eq!(plain.header("cache-control"), Some("no-cache"), "{path}");
        assert_eq!(plain.body, versioned.body, "{path}");
        let etag = plain.header("etag").context("an ETag")?.to_owned();
        let again = fetch(
            &app.client,
            &app.url(&format!("/{path}")),
            BROWSER,
            &[("if-none-match", &etag)],
        )
        .await?;
        assert_eq!(again.status, 304, "{path}");
    }

    // Another release's version: the file, but never kept for good under that name.
    let other = fetch(
        &app.client,
        &app.url("/v/0123456789abcdef/collect/app.js"),
        BROWSER,
        &[],
    )
    .await?;
    assert_eq!(other.status, 200);
    assert_eq!(other.header("cache-control"), Some("no-cache"));
    // The service worker keeps its address, revalidated.
    let worker = fetch(
        &app.client,
        &app.url("/collect/sw.js?assets=/v/0/"),
        BROWSER,
        &[],
    )
    .await?;
    assert_eq!(worker.status, 200);
    assert_eq!(worker.header("cache-control"), Some("no-cache"));
    Ok(())
}

async fn files_come_precompressed_with_an_etag_per_variant(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let path = "pkg/agriwaste_analytics_bg.wasm";
    let url = app.url(&format!("/{path}"));
    let original = on_disk(path)?;
    let mut etags = Vec::new();
    for (accept, coding) in [
        ("gzip, deflate, br", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
        ("br;q=0, gzip;q=0", None),
    ] {
        let got = fetch(&app.client, &url, accept, &[]).await?;
        assert_eq!(got.status, 200, "{accept}");
        assert_eq!(
            got.header("content-encoding"),
            coding,
            "{accept} (variants older than the file? `just wasm` writes them)"
        );
        assert_eq!(
            got.header("content-type"),
            Some("application/wasm"),
            "{accept}"
        );
        assert_eq!(got.header("vary"), Some("Accept-Encoding"), "{accept}");
        assert_eq!(
            got.header("content-length"),
            Some(got.wire.len().to_string().as_str()),
            "{accept}: the variant's own length"
        );
        assert_eq!(got.body, original, "{accept}");
        if coding.is_some() {
            assert!(
                got.wire.len() * 2 < original.len(),
                "{accept}: {} of {}",
                got.wire.len(),
                original.len()
            );
        }
        etags.push(got.header("etag").context("an ETag")?.to_owned());
    }
    assert_ne!(etags[0], etags[1]);
    assert_ne!(etags[1], etags[2]);
    assert_eq!(etags[2], etags[3]);
    // An image is not compressed again.
    let png = fetch(
        &app.client,
        &app.url("/collect/icons/icon-192.png"),
        BROWSER,
        &[],
    )
    .await?;
    assert_eq!(png.header("content-encoding"), None);
    assert_eq!(png.body, on_disk("collect/icons/icon-192.png")?);
    Ok(())
}

async fn ranges_head_and_refused_names(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let path = "pkg/agriwaste_analytics_bg.wasm";
    let original = on_disk(path)?;
    let url = app.url(&format!("/{path}"));

    // A range is of the file as it is, whatever the client allows.
    let part = fetch(&app.client, &url, BROWSER, &[("range", "bytes=100-199")]).await?;
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-encoding"), None);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 100-199/{}", original.len()).as_str())
    );
    assert_eq!(part.body, original[100..200]);
    let past = fetch(&app.client, &url, BROWSER, &[("range", "bytes=999999999-")]).await?;
    assert_eq!(past.status, 416);

    // HEAD: the GET's headers, length included, and no body.
    let get = fetch(&app.client, &url, BROWSER, &[]).await?;
    let head = app
        .client
        .head(&url)
        .header("accept-encoding", BROWSER)
        .send()
        .await?;
    assert_eq!(head.status().as_u16(), 200);
    for name in [
        "content-type",
        "content-encoding",
        "content-length",
        "etag",
        "cache-control",
    ] {
        assert_eq!(
            head.headers().get(name).and_then(|v| v.to_str().ok()),
            get.header(name),
            "HEAD: {name}"
        );
    }
    assert!(head.bytes().await?.is_empty());

    // Variants are not files of their own; nothing outside the tree or hidden.
    for refused in [
        "/pkg/agriwaste_analytics_bg.wasm.br",
        "/collect/app.js.gz",
        "/collect/%2e%2e/%2e%2e/Cargo.toml",
        "/vendor/node_modules/.package-lock.sha256",
    ] {
        let response = app.client.get(app.url(refused)).send().await?;
        assert_eq!(response.status().as_u16(), 404, "{refused}");
    }
    Ok(())
}
