//! API answers compressed when the client asks: brotli or gzip by `Accept-Encoding`, the
//! same JSON (or CSV, NDJSON) once decoded, the ETag and its 304 unchanged, exports still
//! streamed, and nothing compressed twice.

use std::io::Read;

use anyhow::{Context, Result, bail};
use e2e::{Backend, TestApp, field_array, on_both_backends, synthetic_surveys};
use serde_json::{Value, json};

on_both_backends!(
    json_answers_come_in_the_coding_asked_for,
    exports_and_the_api_document_are_compressed_and_still_streamed,
    facts_are_compressed_once,
);

/// The body decoded from its `Content-Encoding` (none, `br` or `gzip`).
pub fn decode(encoding: Option<&str>, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    match encoding {
        None => out.extend_from_slice(bytes),
        Some("br") => brotli_decompressor::BrotliDecompress(&mut &bytes[..], &mut out)
            .context("not brotli")?,
        Some("gzip") => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .context("not gzip")?;
        }
        Some(other) => bail!("unexpected Content-Encoding {other}"),
    }
    Ok(out)
}

/// What one `GET` with `Accept-Encoding: accept` answered.
pub struct Fetched {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// Bytes on the wire.
    pub wire: Vec<u8>,
    /// The body decoded.
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    accept: &str,
    extra: &[(&str, &str)],
) -> Result<Fetched> {
    let mut request = client.get(url).header("accept-encoding", accept);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let wire = response.bytes().await?.to_vec();
    let encoding = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // A 304 has no body to decode.
    let body = if status == 304 {
        wire.clone()
    } else {
        decode(encoding.as_deref(), &wire).with_context(|| url.to_owned())?
    };
    Ok(Fetched {
        status,
        headers,
        wire,
        body,
    })
}

async fn store(app: &TestApp, count: usize) -> Result<()> {
    let (status, body) = app
        .post(
            "/api/v1/surveys/batch",
            &json!({ "surveys": synthetic_surveys(count) }),
        )
        .await?;
    if status != 200 || field_array(&body, "results").len() != count {
        bail!("batch failed: {status} {body}");
    }
    Ok(())
}

fn json(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).context("not JSON")
}

async fn json_answers_come_in_the_coding_asked_for(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    store(&app, 40).await?;
    for path in [
        "/api/v1/surveys?limit=40",
        "/api/v1/indicators?level=county",
        "/api/v1/regions",
    ] {
        let url = app.url(path);
        let plain = fetch(&app.client, &url, "identity", &[]).await?;
        assert_eq!(plain.status, 200, "{path}");
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        assert!(plain.wire.len() > 2048, "{path}: a body worth compressing");
        let expected = json(&plain.body)?;
        for (accept, coding) in [
            ("br", "br"),
            ("gzip", "gzip"),
            ("gzip, deflate, br, zstd", "br"),
            ("br;q=0.5, gzip", "gzip"),
        ] {
            let got = fetch(&app.client, &url, accept, &[]).await?;
            assert_eq!(got.status, 200, "{path} {accept}");
            assert_eq!(
                got.header("content-encoding"),
                Some(coding),
                "{path} {accept}"
            );
            assert!(
                got.header("vary")
                    .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
                "{path} {accept}: {:?}",
                got.header("vary")
            );
            assert!(
                got.wire.len() * 3 < plain.wire.len(),
                "{path} {accept}: {} bytes compressed from {}",
                got.wire.len(),
                plain.wire.len()
            );
            assert_eq!(json(&got.body)?, expected, "{path} {accept}");
            assert_eq!(got.header("etag"), plain.header("etag"), "{path} {accept}");
        }
        // No Accept-Encoding at all (a script's HTTP library): as it is.
        let response = app.client.get(&url).send().await?;
        assert_eq!(response.headers().get("content-encoding"), None, "{path}");
    }

    // The ETag revalidates whatever the coding.
    let url = app.url("/api/v1/indicators?level=county");
    let first = fetch(&app.client, &url, "br", &[]).await?;
    let etag = first.header("etag").context("indicators have an ETag")?;
    for accept in ["br", "gzip", "identity"] {
        let again = fetch(&app.client, &url, accept, &[("if-none-match", etag)]).await?;
        assert_eq!(again.status, 304, "{accept}");
        assert!(again.wire.is_empty(), "{accept}");
    }

    // Errors are JSON too, compressed or not, in the one shape.
    let missing = fetch(&app.client, &app.url("/api/v1/nothing-here"), "br", &[]).await?;
    assert_eq!(missing.status, 404);
    assert_eq!(json(&missing.body)?["code"], "not_found");
    Ok(())
}

async fn exports_and_the_api_document_are_compressed_and_still_streamed(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    store(&app, 60).await?;
    for path in [
        "/api/v1/exports/surveys.csv",
        "/api/v1/exports/surveys.ndjson",
        "/openapi.json",
    ] {
        let url = app.url(path);
        let plain = fetch(&app.client, &url, "identity", &[]).await?;
        assert_eq!(plain.status, 200, "{path}");
        for coding in ["br", "gzip"] {
            let got = fetch(&app.client, &url, coding, &[]).await?;
            assert_eq!(got.status, 200, "{path} {coding}");
            assert_eq!(got.header("content-encoding"), Some(coding), "{path}");
            assert_eq!(
                got.header("content-type"),
                plain.header("content-type"),
                "{path}"
            );
            assert!(got.wire.len() * 3 < plain.wire.len(), "{path} {coding}");
            assert_eq!(
                got.body, plain.body,
                "{path} {coding}: the same bytes decoded"
            );
            if path.contains("/exports/") {
                // Streamed: no length known before the last row is written.
                assert_eq!(got.header("content-length"), None, "{path} {coding}");
                assert_eq!(got.header("transfer-encoding"), Some("chunked"), "{path}");
            }
        }
    }
    // XLSX is a ZIP already: as it is.
    let xlsx = fetch(
        &app.client,
        &app.url("/api/v1/exports/surveys.xlsx"),
        "br, gzip",
        &[],
    )
    .await?;
    assert_eq!(xlsx.status, 200);
    assert_eq!(xlsx.header("content-encoding"), None);
    assert!(xlsx.body.starts_with(b"PK"), "a ZIP");
    Ok(())
}

async fn facts_are_compressed_once(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    store(&app, 40).await?;
    let url = app.url("/api/v1/facts");
    let plain = fetch(&app.client, &url, "identity", &[]).await?;
    assert_eq!(plain.status, 200);
    let expected = json(&plain.body)?;
    // The endpoint gzips itself when gzip is allowed; the middleware leaves that be (a
    // second coding would need a second `Content-Encoding` and decode to gzip, not JSON).
    let browser = fetch(&app.client, &url, "gzip, deflate, br", &[]).await?;
    assert_eq!(browser.header("content-encoding"), Some("gzip"));
    assert_eq!(json(&browser.body)?, expected);
    // Brotli alone: the middleware's.
    let br = fetch(&app.client, &url, "br", &[]).await?;
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(json(&br.body)?, expected);
    Ok(())
}
