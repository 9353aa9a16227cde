//! Cross-cutting request handling: request ids and access logs, the one JSON error shape,
//! body size limits, and the principal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::StreamExt;
use poem::http::{HeaderValue, Method};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use super::error::{ApiError, to_response};
use crate::config::Settings;

/// Size limits per kind of endpoint.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Ordinary JSON bodies.
    pub default: usize,
    /// The batch sync endpoint.
    pub batch: usize,
    /// Photo uploads (the photo plus multipart framing).
    pub attachment: usize,
}

impl BodyLimits {
    /// Limits from the settings.
    pub fn from_settings(settings: &Settings) -> Self {
        BodyLimits {
            default: settings.max_body_bytes,
            batch: settings.max_batch_body_bytes,
            // Room for the multipart headers and boundaries around the photo.
            attachment: settings.max_attachment_bytes + 64 * 1024,
        }
    }

    fn for_request(&self, req: &Request) -> usize {
        let path = req.uri().path();
        if req.method() == Method::POST && path.ends_with("/attachments") {
            self.attachment
        } else if path.ends_with("/surveys/batch") {
            self.batch
        } else {
            self.default
        }
    }
}

/// Rejects bodies over the limit with 413 before reading them when the length is
/// declared, and stops reading at the limit when it is not (chunked uploads), so an
/// oversized body never sits in memory. (The 413 response closes the connection: see
/// [`to_response`].)
pub async fn limit_body<E: Endpoint>(
    next: Arc<E>,
    mut req: Request,
    limits: BodyLimits,
) -> poem::Result<Response> {
    let limit = limits.for_request(&req);
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let tripped = Arc::new(AtomicBool::new(false));
    match declared {
        Some(length) if length > limit as u64 => {
            return Err(ApiError::payload_too_large(limit).into());
        }
        Some(_) => {}
        None => {
            let flag = tripped.clone();
            let mut seen = 0usize;
            let limited = req.take_body().into_bytes_stream().map(move |chunk| {
                let chunk = chunk?;
                seen += chunk.len();
                if seen > limit {
                    flag.store(true, Ordering::Relaxed);
                    return Err(std::io::Error::other("request body exceeds the limit"));
                }
                Ok(chunk)
            });
            req.set_body(Body::from_bytes_stream(limited));
        }
    }
    let result = next.call(req).await.map(IntoResponse::into_response);
    if tripped.load(Ordering::Relaxed) {
        return Err(ApiError::payload_too_large(limit).into());
    }
    result
}

/// What handlers know about the request beyond its parameters: its id (for logs and
/// the audit trail) and the client's address.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The request id, echoed in `X-Request-Id`.
    pub request_id: String,
    /// The client's IP address.
    pub address: Option<String>,
}

/// Gives every request an id (the client's `X-Request-Id` if sane, else a new one),
/// turns every error into the common JSON shape, and logs one line per request.
pub async fn observe<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let address = req
        .remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_string());
    req.extensions_mut().insert(RequestContext {
        request_id: request_id.clone(),
        address,
    });
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let mut response = match next.call(req).await {
        Ok(response) => response.into_response(),
        Err(err) => to_response(err, &request_id),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, path, status, elapsed_ms, request_id, "request");
    } else {
        tracing::info!(%method, path, status, elapsed_ms, request_id, "request");
    }
    Ok(response)
}
