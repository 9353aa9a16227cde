//! Request bodies over the configured limit: 413 with the common JSON error, declared
//! length or not.

use anyhow::Result;
use e2e::{Backend, TestApp, example_survey, json_of, on_both_backends};

on_both_backends!(bodies_over_the_limit_get_413);

async fn bodies_over_the_limit_get_413(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(backend, &["--max-body-bytes", "4096"]).await?;
    let mut survey = example_survey();
    survey["village"] = serde_json::json!("村".repeat(3000));
    let body = survey.to_string();
    assert!(body.len() > 4096);

    let response = app
        .client
        .post(app.url("/api/v1/surveys"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await?;
    let (status, json) = json_of(response).await?;
    assert_eq!(status, 413);
    assert_eq!(json["code"], "payload_too_large");
    assert!(
        json["message_zh"]
            .as_str()
            .is_some_and(|m| m.contains("4096"))
    );

    // Chunked, with no declared length: cut off at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
        .as_bytes()
        .chunks(1000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let stream = futures_util::stream::iter(chunks);
    let response = app
        .client
        .post(app.url("/api/v1/surveys"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await?;
    let (status, json) = json_of(response).await?;
    assert_eq!(
        (status, json["code"].as_str()),
        (413, Some("payload_too_large"))
    );

    // Under the limit is fine.
    assert_eq!(app.post("/api/v1/surveys", &example_survey()).await?.0, 201);
    assert_eq!(app.all_surveys("").await?.len(), 1);
    Ok(())
}

on_both_backends!(stalled_and_trickled_headers_are_cut_off);

/// Regression (reliability suite): poem's server sets no header-read deadline, so a
/// client that sends part of its headers and stalls, or trickles them a line at a time,
/// held its connection for ever. Now it is closed after `--header-read-timeout-secs`.
async fn stalled_and_trickled_headers_are_cut_off(backend: Backend) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(backend, &["--header-read-timeout-secs", "1"]).await?;
    let addr = app.base.trim_start_matches("http://").to_owned();
    for trickle in [false, true] {
        let mut stream = tokio::net::TcpStream::connect(&addr).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await?;
        let mut buf = [0u8; 256];
        let closed = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            loop {
                tokio::select! {
                    read = stream.read(&mut buf) => if matches!(read, Ok(0) | Err(_)) { return },
                    // The trickle is the slow-loris behaviour under test, not synchronisation.
                    () = tokio::time::sleep(std::time::Duration::from_millis(200)), if trickle => {
                        if stream.write_all(b"X-Slow: 1\r\n").await.is_err() { return }
                    }
                }
            }
        })
        .await;
        assert!(
            closed.is_ok(),
            "a connection with trickle={trickle} was never closed"
        );
    }
    assert_eq!(app.get("/healthz").await?.0, 200);
    Ok(())
}
