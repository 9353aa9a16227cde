//! Hostile input by hand: deeply nested JSON, 50 MB bodies, invalid UTF-8, SQL
//! meta-characters in every text field, path traversal in attachment ids, slow-loris
//! clients. The server answers each with a 4xx in the common error shape (never a 5xx),
//! stores text verbatim, stays responsive, and its memory stays bounded.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::{Backend, TestApp, example_survey, field_array, field_str, json_of, on_both_backends};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_backends!(
    deeply_nested_json_is_refused,
    huge_bodies_are_refused_without_buffering,
    invalid_utf8_is_refused,
    sql_meta_characters_are_stored_verbatim,
    path_traversal_finds_nothing,
    slow_loris_clients_are_dropped,
);

/// The server's resident memory, from `/proc/PID/status`, bytes.
fn rss_bytes(app: &TestApp) -> Result<u64> {
    let pid = app.pid().context("server not running")?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmRSS in /proc/PID/status")?;
    Ok(kb * 1024)
}

/// Posts raw bytes as JSON; returns status and body.
async fn post_raw(app: &TestApp, path: &str, body: Vec<u8>) -> Result<(u16, Value)> {
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    json_of(response).await
}

/// A refusal: 4xx with the common error shape (code and both messages).
fn refused(what: &str, (status, body): &(u16, Value)) -> Result<()> {
    ensure!(
        (400..500).contains(status),
        "{what}: expected a 4xx, got {status} {body}"
    );
    for field in ["code", "message_zh", "message_en"] {
        ensure!(
            body[field].as_str().is_some_and(|s| !s.is_empty()),
            "{what}: error without {field}: {body}"
        );
    }
    Ok(())
}

/// A batch item refused on its own: the batch answers 200 and every item is `invalid`
/// with an error in the common shape. (Items are decoded one by one, so nesting inside
/// an item is that item's problem, exactly as for a single submission.)
fn items_refused(what: &str, (status, body): &(u16, Value)) -> Result<()> {
    ensure!(
        *status == 200,
        "{what}: expected 200 with per-item results, got {status} {body}"
    );
    let results = field_array(body, "results");
    ensure!(!results.is_empty(), "{what}: no results: {body}");
    for result in results {
        ensure!(
            result["status"] == "invalid",
            "{what}: item not refused: {result}"
        );
        let error = &result["errors"][0];
        for field in ["code", "message_zh", "message_en"] {
            ensure!(
                error[field].as_str().is_some_and(|s| !s.is_empty()),
                "{what}: item error without {field}: {result}"
            );
        }
    }
    Ok(())
}

async fn still_serves(app: &TestApp) -> Result<()> {
    let (status, _) = app.get("/readyz").await?;
    ensure!(status == 200, "readyz answered {status}");
    let (status, body) = app.post("/api/v1/surveys", &example_survey()).await?;
    ensure!(status == 201, "a normal survey afterwards: {status} {body}");
    Ok(())
}

async fn deeply_nested_json_is_refused(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let depth = 100_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    for nested in [&arrays, &objects] {
        let answer = post_raw(&app, "/api/v1/surveys", nested.clone().into_bytes()).await?;
        refused("nested JSON to /api/v1/surveys", &answer)?;
        // In a batch, nesting is refused whole (4xx) where the body is not a list of
        // items, and item by item (200, each `invalid`) where it is: items are decoded
        // one by one, exactly as single submissions are.
        for body in [
            format!("{{\"surveys\":{nested}}}"),
            format!("{{\"surveys\":[{nested}]}}"),
        ] {
            let answer = post_raw(&app, "/api/v1/surveys/batch", body.into_bytes()).await?;
            refused("nested JSON to the batch", &answer)
                .or_else(|_| items_refused("nested JSON to the batch", &answer))?;
        }
        let mut survey = example_survey();
        survey["film"] = json!("placeholder");
        let text = survey.to_string().replace("\"placeholder\"", nested);
        let answer = post_raw(&app, "/api/v1/surveys", text.into_bytes()).await?;
        refused("nested JSON in a field", &answer)?;
    }
    still_serves(&app).await
}

async fn huge_bodies_are_refused_without_buffering(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    still_serves(&app).await?;
    let before = rss_bytes(&app)?;
    let fifty_mb = 50 * 1024 * 1024;
    // A valid-looking start, then 50 MB of survey text.
    let mut body =
        br#"{"surveys":[{"id":"00000000-0000-4000-8000-000000000000","village":""#.to_vec();
    body.resize(fifty_mb, b'a');
    let mut requests = Vec::new();
    for path in [
        "/api/v1/surveys",
        "/api/v1/surveys/batch",
        "/api/v1/surveys/batch",
    ] {
        requests.push(post_raw(&app, path, body.clone()));
    }
    let mut answered = 0;
    for answer in futures_util::future::join_all(requests).await {
        // The server answers 413 from the declared length and closes the connection;
        // a client still sending may see the connection reset before it reads that.
        let Ok(answer) = answer else { continue };
        ensure!(answer.0 == 413, "50 MB body: {} {}", answer.0, answer.1);
        refused("50 MB body", &answer)?;
        answered += 1;
    }
    println!(
        "hostile {backend:?}: {answered} of 3 clients sending 50 MB read the 413 before the server hung up"
    );
    // Chunked, no declared length: cut off at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(1 << 20).map(|c| Ok(c.to_vec())).collect();
    let response = app
        .client
        .post(app.url("/api/v1/surveys/batch"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    // The server may close the connection while the client still sends; either way
    // nothing is stored and the server carries on.
    if let Ok(response) = response {
        let answer = json_of(response).await?;
        ensure!(
            answer.0 == 413,
            "chunked 50 MB body: {} {}",
            answer.0,
            answer.1
        );
    }
    let after = rss_bytes(&app)?;
    let grown = after.saturating_sub(before);
    println!(
        "hostile {backend:?}: server RSS {} MB before four 50 MB bodies, {} MB after",
        before >> 20,
        after >> 20
    );
    // Buffering even one of the bodies would add 50 MB.
    ensure!(grown < 40 << 20, "the server grew by {} MB", grown >> 20);
    ensure!(app.all_surveys("").await?.len() == 1);
    still_serves(&app).await
}

async fn invalid_utf8_is_refused(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let survey = example_survey().to_string();
    let at = survey.find("\"household\":\"").context("household")? + 13;
    for bytes in [
        &b"\xff\xfe"[..],
        b"\xc3\x28",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
    ] {
        let mut body = survey.as_bytes().to_vec();
        body.splice(at..at, bytes.iter().copied());
        refused(
            "invalid UTF-8 survey",
            &post_raw(&app, "/api/v1/surveys", body.clone()).await?,
        )?;
        let mut batch = b"{\"surveys\":[".to_vec();
        batch.extend(&body);
        batch.extend(b"]}");
        refused(
            "invalid UTF-8 batch",
            &post_raw(&app, "/api/v1/surveys/batch", batch).await?,
        )?;
    }
    // In query parameters and headers.
    let (status, body) = app
        .get("/api/v1/surveys?technician=%FF%FE&region=%C3%28")
        .await?;
    ensure!(status < 500, "invalid UTF-8 in the query: {status} {body}");
    let response = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{}", uuid::Uuid::new_v4())))
        .header(
            "if-match",
            reqwest::header::HeaderValue::from_bytes(b"\"v\xff\"")?,
        )
        .json(&json!({}))
        .send()
        .await?;
    let answer = json_of(response).await?;
    ensure!(
        answer.0 < 500,
        "invalid UTF-8 in If-Match: {} {}",
        answer.0,
        answer.1
    );
    ensure!(app.all_surveys("").await?.is_empty());
    still_serves(&app).await
}

/// Text that breaks string-built SQL in every dialect we store to.
const META: &[&str] = &[
    "'; DROP TABLE surveys; --",
    "\" OR \"1\"=\"1",
    "x' OR '1'='1' --",
    "50% _off_ \\' \\\\ ` $1 ?",
    "1; DELETE FROM survey_versions WHERE 1=1; SELECT '",
    "村'); UPDATE users SET role='admin' WHERE ('1'='1",
    "\u{1b}[31m escape \u{7f} and \u{202e} bidi",
];

async fn sql_meta_characters_are_stored_verbatim(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let mut stored = Vec::new();
    for meta in META {
        let mut survey = example_survey();
        for field in ["township", "village", "household", "technician"] {
            survey[field] = json!(format!("{field} {meta}"));
        }
        let (status, body) = app.post("/api/v1/surveys", &survey).await?;
        ensure!(status == 201, "{meta:?}: {status} {body}");
        let id = field_str(&survey, "id").to_owned();
        let (status, got) = app.get(&format!("/api/v1/surveys/{id}")).await?;
        ensure!(status == 200, "{status} {got}");
        for field in ["township", "village", "household", "technician"] {
            ensure!(
                got["survey"][field] == survey[field],
                "{field} changed: {}",
                got["survey"][field]
            );
        }
        // The same text as a filter finds exactly that survey.
        let query: String = url_encode(&format!("technician {meta}"));
        let listed = app.all_surveys(&format!("&technician={query}")).await?;
        ensure!(
            listed.len() == 1 && listed[0]["survey"]["id"] == id.as_str(),
            "filtering on {meta:?} found {} surveys",
            listed.len()
        );
        // As a correction note and a review comment.
        let mut corrected = survey.clone();
        corrected["household"] = json!(format!("corrected {meta}"));
        let (status, body) = app
            .put(
                &format!("/api/v1/surveys/{id}"),
                &json!({ "survey": corrected, "note": meta, "base_version": 1 }),
                &[],
            )
            .await?;
        ensure!(status == 200, "correction with {meta:?}: {status} {body}");
        let (status, body) = app
            .post(
                &format!("/api/v1/surveys/{id}/review"),
                &json!({ "state": "has_issues", "comment": meta }),
            )
            .await?;
        ensure!(
            status == 200 && body["review"]["comment"] == *meta,
            "review with {meta:?}: {status} {body}"
        );
        let (_, history) = app.get(&format!("/api/v1/surveys/{id}/history")).await?;
        ensure!(
            history["versions"][1]["note"] == *meta,
            "note changed: {history}"
        );
        stored.push(id);
        // Elsewhere: a region filter, a sign-in name, a device label.
        let (status, body) = app
            .get(&format!("/api/v1/surveys?region={}", url_encode(meta)))
            .await?;
        ensure!(status == 400, "region {meta:?}: {status} {body}");
        let response = reqwest::Client::new()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "username": meta, "password": meta }))
            .send()
            .await?;
        let answer = json_of(response).await?;
        ensure!(
            answer.0 == 401 || answer.0 == 422,
            "sign-in as {meta:?}: {} {}",
            answer.0,
            answer.1
        );
    }
    // U+0000, which PostgreSQL cannot store, is refused on both backends, naming the field.
    let mut survey = example_survey();
    survey["village"] = json!("nul \u{0} here");
    let (status, body) = app.post("/api/v1/surveys", &survey).await?;
    ensure!(
        status == 422 && body["path"] == "village",
        "NUL in a survey: {status} {body}"
    );
    let (status, body) = app.get("/api/v1/surveys?technician=a%00b").await?;
    ensure!(
        status == 400 && body["path"] == "technician",
        "NUL in the query: {status} {body}"
    );
    // Nothing was dropped or rewritten: every survey is there, once.
    ensure!(app.all_surveys("").await?.len() == stored.len());
    let (status, users) = app.get("/api/v1/users").await?;
    ensure!(status == 200, "{users}");
    still_serves(&app).await
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn path_traversal_finds_nothing(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let survey = example_survey();
    assert_eq!(app.post("/api/v1/surveys", &survey).await?.0, 201);
    let id = field_str(&survey, "id");
    let attempts = [
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "..%2F..%2Fagriwaste.db",
        "%2e%2e%2f%2e%2e%2fagriwaste.db",
        "..%5C..%5Cagriwaste.db",
        "....%2F%2F....%2F%2Fetc%2Fpasswd",
        "%252e%252e%252fetc%252fpasswd",
        "%00",
        "0000000000000000000000000000000000000000000000000000000000000000%2F..%2F..",
    ];
    for attempt in attempts {
        for path in [
            format!("/api/v1/surveys/{id}/attachments/{attempt}"),
            format!("/api/v1/surveys/{attempt}/attachments"),
            format!("/api/v1/surveys/{attempt}"),
            format!("/{attempt}"),
        ] {
            let response = app.client.get(app.url(&path)).send().await?;
            let status = response.status().as_u16();
            let bytes = response.bytes().await?;
            ensure!(
                (400..500).contains(&status),
                "{path}: expected 4xx, got {status}"
            );
            let text = String::from_utf8_lossy(&bytes);
            ensure!(
                !text.contains("root:") && !text.contains("SQLite format"),
                "{path} leaked a file"
            );
        }
    }
    // Raw paths that a client library would normalise.
    for raw in [
        format!("/api/v1/surveys/{id}/attachments/../../../../etc/passwd"),
        "/../../../../etc/passwd".to_owned(),
        "/static/..%2f..%2f..%2fetc/passwd".to_owned(),
    ] {
        let (status, text) = raw_get(&app, &raw).await?;
        ensure!(
            status == 0 || (400..500).contains(&status),
            "{raw}: answered {status}"
        );
        ensure!(!text.contains("root:"), "{raw} leaked /etc/passwd");
    }
    still_serves(&app).await
}

/// Sends a GET with the path exactly as given; returns the status (0 if the server
/// closed the connection) and the response text.
async fn raw_get(app: &TestApp, path: &str) -> Result<(u16, String)> {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).await?;
    stream
        .write_all(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
                app.admin_token
            )
            .as_bytes(),
        )
        .await?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response)).await??;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, text))
}

async fn slow_loris_clients_are_dropped(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(backend, &["--header-read-timeout-secs", "2"]).await?;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let before = rss_bytes(&app)?;
    // Half stall after part of the headers; half trickle a header line every 500 ms,
    // which resets any inactivity timer but not the header deadline.
    let mut lorises = Vec::new();
    for n in 0..200 {
        let addr = addr.clone();
        lorises.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(&addr).await?;
            stream
                .write_all(b"POST /api/v1/surveys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
                .await?;
            let trickle = n % 2 == 1;
            let mut buf = [0u8; 1024];
            // Until the server hangs up (read gives 0 or an error), or 60 s pass.
            let closed = tokio::time::timeout(Duration::from_secs(60), async {
                loop {
                    tokio::select! {
                        read = stream.read(&mut buf) => match read {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        },
                        // The trickle is the behaviour under test, not synchronisation.
                        () = tokio::time::sleep(Duration::from_millis(500)), if trickle => {
                            if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
                                return;
                            }
                        }
                    }
                }
            })
            .await;
            anyhow::Ok(closed.is_ok())
        }));
    }
    // Meanwhile other clients are served.
    for _ in 0..20 {
        still_serves(&app).await?;
    }
    let mut dropped = 0;
    for loris in lorises {
        if loris.await?? {
            dropped += 1;
        }
    }
    ensure!(
        dropped == 200,
        "only {dropped} of 200 slow-loris connections were dropped"
    );
    let after = rss_bytes(&app)?;
    println!(
        "hostile {backend:?}: 200 slow-loris connections dropped; server RSS {} MB before, {} MB after",
        before >> 20,
        after >> 20
    );
    ensure!(
        after.saturating_sub(before) < 40 << 20,
        "the server grew by {} MB",
        (after - before) >> 20
    );
    still_serves(&app).await
}
