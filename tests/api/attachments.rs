//! Photo attachments: content-checked, size-limited, content-addressed.

use anyhow::Result;
use e2e::{Backend, TestApp, example_survey, field_str, json_of, on_both_backends};
use reqwest::multipart::{Form, Part};

on_both_backends!(photos_are_checked_by_content_and_size);

/// A real 1×1 PNG.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

pub(crate) fn form(bytes: Vec<u8>, name: &str, mime: &str) -> Result<Form> {
    Ok(Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)?,
    ))
}

async fn photos_are_checked_by_content_and_size(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let survey = example_survey();
    let id = field_str(&survey, "id").to_owned();
    assert_eq!(app.post("/api/v1/surveys", &survey).await?.0, 201);
    let url = app.url(&format!("/api/v1/surveys/{id}/attachments"));

    // A PNG named .jpg with the wrong declared type is still recognised as PNG.
    let response = app
        .client
        .post(&url)
        .multipart(form(PNG.to_vec(), "field.jpg", "image/jpeg")?)
        .send()
        .await?;
    let (status, body) = json_of(response).await?;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["content_type"], "image/png");
    assert_eq!(body["size_bytes"], PNG.len());
    let sha = field_str(&body, "sha256").to_owned();
    assert_eq!(sha.len(), 64);

    // The same photo again: nothing new.
    let response = app
        .client
        .post(&url)
        .multipart(form(PNG.to_vec(), "again.png", "image/png")?)
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);

    // Text dressed up as a JPEG: refused by content.
    let response = app
        .client
        .post(&url)
        .multipart(form(
            b"this is not a photo".to_vec(),
            "photo.jpg",
            "image/jpeg",
        )?)
        .send()
        .await?;
    let (status, body) = json_of(response).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("unsupported_image"))
    );

    // Over 10 MB: refused.
    let mut big = PNG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let response = app
        .client
        .post(&url)
        .multipart(form(big, "big.png", "image/png")?)
        .send()
        .await?;
    let (status, body) = json_of(response).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("payload_too_large"))
    );

    // Download: the same bytes, the recognised type.
    let response = app.client.get(format!("{url}/{sha}")).send().await?;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await?.as_ref(), PNG);

    // Listing.
    let (status, list) = app
        .get(&format!("/api/v1/surveys/{id}/attachments"))
        .await?;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    // Ids that are not digests never reach the file system.
    for bad in ["..%2F..%2Fagriwaste.db", "0000", &"g".repeat(64)] {
        let response = app.client.get(format!("{url}/{bad}")).send().await?;
        assert_eq!(response.status().as_u16(), 404, "{bad}");
    }
    // A photo for a survey that does not exist.
    let other = app.url(&format!(
        "/api/v1/surveys/{}/attachments",
        uuid::Uuid::new_v4()
    ));
    let response = app
        .client
        .post(&other)
        .multipart(form(PNG.to_vec(), "a.png", "image/png")?)
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 404);
    Ok(())
}
