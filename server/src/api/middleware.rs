//! Cross-cutting request handling: request ids and access logs, the one JSON error shape,
//! body size limits, and the principal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::StreamExt;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use super::document::AllowTable;
use super::error::{ApiError, ErrorCode, to_response};
use crate::config::Settings;

/// Answers a method the path does not have with a 405 whose `Allow` header lists the
/// methods it has, as the document lists them (poem's router knows only that the
/// method did not match).
pub async fn allow_methods<E: Endpoint>(
    next: Arc<E>,
    req: Request,
    table: Arc<AllowTable>,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    match next.call(req).await {
        Err(err) if err.is::<poem::error::MethodNotAllowedError>() => match table.allowed(&path) {
            Some(allow) => Err(ApiError::method_not_allowed(allow).into()),
            None => Err(err),
        },
        other => other.map(IntoResponse::into_response),
    }
}

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

/// Refuses text containing U+0000 anywhere in the path, the query or a JSON body, with
/// the field at fault. PostgreSQL cannot store that character in text (the insert fails
/// and the client would get a 500), and SQLite should not accept what PostgreSQL
/// refuses, so no store sees it. Runs inside [`limit_body`], so the body it reads is
/// already bounded.
pub async fn reject_nul<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    if let Some(field) = nul_in_uri(req.uri()) {
        return Err(nul_error(StatusCode::BAD_REQUEST, &field).into());
    }
    let is_json = req
        .content_type()
        .and_then(|c| c.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
    if is_json {
        let bytes = req.take_body().into_bytes().await?;
        if has_escaped_nul(&bytes) {
            let field = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|value| nul_path(&value, ""))
                .unwrap_or_default();
            return Err(nul_error(StatusCode::UNPROCESSABLE_ENTITY, &field).into());
        }
        req.set_body(Body::from(bytes));
    }
    next.call(req).await.map(IntoResponse::into_response)
}

fn nul_error(status: StatusCode, field: &str) -> ApiError {
    // A survey field by the form's label; any other text by what it is.
    let named = agriwaste_analytics::labels::Named::of(field);
    let (shown, shown_en) = match named.label() {
        Some(_) => (named.zh(), named.en()),
        None if field.is_empty() => ("请求".to_owned(), "the request".to_owned()),
        None => ("填写的文字".to_owned(), "the text".to_owned()),
    };
    ApiError::new(
        status,
        ErrorCode::InvalidText,
        format!("{shown} 含有 NUL 字符(U+0000),无法保存"),
        format!("{shown_en} contains a NUL character (U+0000), which cannot be stored"),
    )
    .at(field)
}

/// The query parameter (or `path`) whose decoded text contains U+0000.
fn nul_in_uri(uri: &poem::http::Uri) -> Option<String> {
    if percent_decode(uri.path().as_bytes()).contains(&0) {
        return Some("path".to_owned());
    }
    for pair in uri.query().unwrap_or_default().split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key.as_bytes());
        if key.contains(&0) || percent_decode(value.as_bytes()).contains(&0) {
            return Some(String::from_utf8_lossy(&key).replace('\0', "\\u0000"));
        }
    }
    None
}

pub(crate) fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// Whether JSON text escapes U+0000 (`\u0000`) in a string. Escapes are two characters
/// (`\\`, `\"`, ...) or six (`\uXXXX`), so stepping over each backslash pair tells an
/// escaped NUL from the text `\\u0000`.
pub fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json[i + 1..].starts_with(b"u0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The path (`surveys[2].household`) of the first key or string holding U+0000.
fn nul_path(value: &serde_json::Value, at: &str) -> Option<String> {
    match value {
        serde_json::Value::String(text) => text.contains('\0').then(|| at.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(n, item)| nul_path(item, &format!("{at}[{n}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            let path = if at.is_empty() {
                key.replace('\0', "\\u0000")
            } else {
                format!("{at}.{}", key.replace('\0', "\\u0000"))
            };
            if key.contains('\0') {
                Some(path)
            } else {
                nul_path(item, &path)
            }
        }),
        _ => None,
    }
}

/// A browser that follows a link to a page that does not exist gets the site's "not
/// found" page (`404.html` in the web directory: zh/en, a link home) instead of the API's
/// JSON error body, still with status 404. That is a `GET` outside `/api` whose `Accept`
/// prefers HTML to JSON (a browser's navigation does; `fetch`, curl and API clients,
/// which send `*/*` or `application/json`, keep the JSON body). Applied outside
/// [`observe`], so the 404 it sees is the common JSON shape, whose request id it keeps.
pub async fn html_not_found<E: Endpoint>(
    next: Arc<E>,
    req: Request,
    web_dir: Arc<std::path::Path>,
) -> poem::Result<Response> {
    let path = req.uri().path();
    let browser = req.method() == Method::GET
        && path != "/api"
        && !path.starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(prefers_html);
    let mut response = next.call(req).await?.into_response();
    if browser && response.status() == StatusCode::NOT_FOUND {
        // Without the page (a web directory that lacks it), the JSON answer stands.
        if let Ok(page) = tokio::fs::read(web_dir.join("404.html")).await {
            response.set_body(page);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response.headers_mut().remove(header::CONTENT_LENGTH);
        }
    }
    if response.status() == StatusCode::NOT_FOUND {
        // The body depends on `Accept`: a cache must not hand the page to an API client.
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept"));
    }
    Ok(response)
}

/// Whether an `Accept` header rates `text/html` above `application/json`, each by its
/// most specific media range (`text/html`, else `text/*`, else `*/*`; `q` defaults to 1).
/// Equal rates (`*/*` alone) are not a preference.
fn prefers_html(accept: &str) -> bool {
    let quality = |kind: &str, subtype: &str| {
        let mut best: Option<(u8, f32)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let (range_kind, range_subtype) = media.split_once('/').unwrap_or((&media, ""));
            let specificity = match (range_kind, range_subtype) {
                (k, s) if k == kind && s == subtype => 2,
                (k, "*") if k == kind => 1,
                ("*", "*") => 0,
                _ => continue,
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if best.is_none_or(|(s, _)| specificity > s) {
                best = Some((specificity, q));
            }
        }
        best.map_or(0.0, |(_, q)| q)
    };
    quality("text", "html") > quality("application", "json")
}

/// The pages' Content-Security-Policy: scripts, styles, fonts and everything fetched come
/// from this server only, and no inline script or style runs, so text that reaches a page
/// (a household name, a reviewer's comment) can never become code even if a page put it
/// in the DOM the wrong way. `'wasm-unsafe-eval'` lets the analytics module (WebAssembly)
/// be compiled; `blob:` images are the photos the review page and the collect form show
/// from memory and the dashboard's chart preview. `frame-ancestors 'none'` keeps every
/// page out of another site's frame (clickjacking), `base-uri` and `form-action` keep a
/// stray tag from redirecting the page's links and forms.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' blob:; font-src 'self'; connect-src 'self'; \
     worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The Swagger UI at `/docs` is poem-openapi's page, whose script and style are inline
/// in its HTML: it gets its own, looser policy (inline script and style, its logo as a
/// `data:` image) so that it keeps working. It shows only the API document and the
/// answers of calls the reader makes, and it is still kept out of frames.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `no-referrer`: the server never reads `Referer`, so sending it buys nothing, and a
/// page's address (the dashboard's filters, the survey a reviewer has open) then never
/// reaches another site a link leads to. (The device-token link's secret is in the
/// fragment, which no browser sends in any case.)
const REFERRER_POLICY: &str = "no-referrer";

/// Security headers on every response and `HEAD` on everything outside the API.
///
/// Every response (pages, static files, API answers, errors, photos) gets
/// `X-Content-Type-Options: nosniff` (a browser takes the declared type, so an uploaded
/// photo is never run as a script or page), the Referrer-Policy and a
/// Content-Security-Policy: [`DOCS_POLICY`] under `/docs`, [`PAGE_POLICY`] everywhere
/// else (on a JSON answer or a photo opened on its own it costs nothing and forbids
/// everything such a document does not need).
///
/// `HEAD` outside `/api` is answered as `GET` without the body (with the `GET`'s
/// `Content-Length`), which the static files endpoint alone refuses with 405; the API
/// answers `HEAD` itself and is left to. Applied outermost, after [`observe`] has put errors into the
/// common shape, so error responses carry the headers too; the access log therefore
/// shows such a request as `GET`.
pub async fn security_headers<E: Endpoint>(
    next: Arc<E>,
    mut req: Request,
) -> poem::Result<Response> {
    let path = req.uri().path();
    let docs = path == "/docs" || path.starts_with("/docs/");
    let head = req.method() == Method::HEAD && path != "/api" && !path.starts_with("/api/");
    if head {
        req.set_method(Method::GET);
    }
    let mut response = match next.call(req).await {
        Ok(response) => response.into_response(),
        Err(err) => err.into_response(),
    };
    if head {
        response.set_body(Body::empty());
    }
    let headers = response.headers_mut();
    let policy = if docs { DOCS_POLICY } else { PAGE_POLICY };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(REFERRER_POLICY),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_nul_is_found_and_escaped_backslashes_are_not() {
        assert!(has_escaped_nul(br#"{"a":"x\u0000y"}"#));
        assert!(has_escaped_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"a":"\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"a":"\u0001 \\"}"#));
        assert!(!has_escaped_nul(b"\\"));
    }

    #[test]
    fn html_is_preferred_when_accept_rates_it_above_json() {
        let check = |accept: &str, expected: bool| {
            assert_eq!(prefers_html(accept), expected, "{accept}");
        };
        // Chromium's and Firefox's navigation.
        check(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
            true,
        );
        check(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            true,
        );
        check("text/*", true);
        check("TEXT/HTML; charset=utf-8", true);
        // fetch(), curl and the API's clients.
        check("*/*", false);
        check("application/json", false);
        check("application/json, text/html", false);
        check("text/html;q=0.5, application/json", false);
        check("text/html;q=0.5, */*;q=0.1", true);
        check("", false);
        check("image/png", false);
    }

    #[test]
    fn the_field_holding_nul_is_named() {
        let value = serde_json::json!({"surveys": [{"id": "x"}, {"household": "a\u{0}b"}]});
        assert_eq!(
            nul_path(&value, "").as_deref(),
            Some("surveys[1].household")
        );
        let uri: poem::http::Uri = "/api/v1/surveys?limit=5&technician=a%00b"
            .parse()
            .unwrap_or_default();
        assert_eq!(nul_in_uri(&uri).as_deref(), Some("technician"));
        let uri: poem::http::Uri = "/api/v1/regions/54%00".parse().unwrap_or_default();
        assert_eq!(nul_in_uri(&uri).as_deref(), Some("path"));
    }
}
