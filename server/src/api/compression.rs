//! Content codings: which one a request's `Accept-Encoding` allows, and compressing API
//! answers (JSON, CSV, NDJSON, GeoJSON, SVG, the OpenAPI document) on their way out.
//!
//! A phone on a mobile link pays for every byte, and these bodies are text that brotli
//! or gzip shrinks five- to tenfold. Compression streams: an export of a million surveys
//! leaves as it is written, compressed block by block, never held whole in memory.
//! Answers that are already encoded (`/api/v1/facts` gzips itself and keeps the result)
//! and bodies that compression does not help (photos, PNG charts, XLSX, which is a ZIP)
//! pass as they are.
//!
//! The handler's `ETag` is kept as it is: it names the answer, whatever its coding, and
//! clients echo it in `If-Match` (a correction's base version) and `If-None-Match`, which
//! the handlers compare without knowing about codings. `Vary: Accept-Encoding` keeps a
//! shared cache from handing a compressed body to a client that did not ask for one.
//! (Static files, whose variants are precompressed, have one ETag per variant: see
//! `crate::web_assets`.)

use std::sync::Arc;

use async_compression::Level;
use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder};
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use tokio::io::AsyncReadExt;
use tokio_util::io::StreamReader;

/// A content coding this server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// `br`: the smallest, preferred whenever allowed.
    Brotli,
    /// `gzip`: what every client decodes.
    Gzip,
    /// The body as it is.
    Identity,
}

impl Coding {
    /// The value of `Content-Encoding` (none for identity).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Coding::Brotli => Some("br"),
            Coding::Gzip => Some("gzip"),
            Coding::Identity => None,
        }
    }

    /// The codings an `Accept-Encoding` header allows, best first: by their rating,
    /// `br` before `gzip` on a tie, identity always last. Without the header only
    /// identity: RFC 9110 lets a server pick any coding then, but a client that sends
    /// none (a script's HTTP library) may not decode one.
    pub fn accepted(accept_encoding: Option<&str>) -> Vec<Coding> {
        let Some(accept) = accept_encoding else {
            return vec![Coding::Identity];
        };
        let (mut br, mut gzip, mut any) = (None, None, None);
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match name.as_str() {
                "br" => br = Some(q),
                "gzip" | "x-gzip" => gzip = Some(q),
                "*" => any = Some(q),
                _ => {}
            }
        }
        let br = br.or(any).unwrap_or(0.0);
        let gzip = gzip.or(any).unwrap_or(0.0);
        let mut codings = Vec::with_capacity(3);
        if br > 0.0 && br >= gzip {
            codings.push(Coding::Brotli);
        }
        if gzip > 0.0 {
            codings.push(Coding::Gzip);
        }
        if br > 0.0 && br < gzip {
            codings.push(Coding::Brotli);
        }
        codings.push(Coding::Identity);
        codings
    }

    /// The coding to send for an `Accept-Encoding` header: the first of [`Coding::accepted`].
    pub fn preferred(accept_encoding: Option<&str>) -> Coding {
        Coding::accepted(accept_encoding)[0]
    }

    /// The codings a request allows, best first (see [`Coding::accepted`]).
    pub fn accepted_by(req: &Request) -> Vec<Coding> {
        Coding::accepted(
            req.headers()
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok()),
        )
    }
}

/// Compresses `bytes` whole, at the coding's best quality: for what is compressed once
/// and kept (pages rewritten when served, in `crate::web_assets`).
pub async fn compress_best(bytes: &[u8], coding: Coding) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    match coding {
        Coding::Brotli => {
            BrotliEncoder::with_quality(bytes, Level::Best)
                .read_to_end(&mut out)
                .await?;
        }
        Coding::Gzip => {
            GzipEncoder::with_quality(bytes, Level::Best)
                .read_to_end(&mut out)
                .await?;
        }
        Coding::Identity => out.extend_from_slice(bytes),
    }
    Ok(out)
}

/// Bodies smaller than this are sent as they are: the coding's framing and the
/// client's work would cost more than the bytes saved.
const MIN_COMPRESSED_BYTES: u64 = 1024;

/// Whether a media type is text worth compressing.
fn compressible(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    // Server-sent events must reach the client as they happen, not when a block fills.
    if essence == "text/event-stream" {
        return false;
    }
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || [
            "application/json",
            "application/x-ndjson",
            "application/ndjson",
            "application/javascript",
            "application/xml",
        ]
        .contains(&essence.as_str())
}

/// Compresses the response with the coding `Accept-Encoding` allows, when its type is
/// text and it is not encoded already (see the module's documentation). On-the-fly
/// qualities are chosen for speed: brotli 5 and gzip 6 compress an export faster than a
/// mobile link carries it, within a few per cent of their best ratio on JSON.
pub async fn compress_responses<E: Endpoint>(next: Arc<E>, req: Request) -> poem::Result<Response> {
    let coding = Coding::accepted_by(&req)[0];
    let head = req.method() == Method::HEAD;
    let mut response = next.call(req).await?.into_response();
    let eligible = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::CONTENT_ENCODING)
        && !response.headers().contains_key(header::CONTENT_RANGE)
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(compressible);
    if !eligible {
        return Ok(response);
    }
    add_vary_accept_encoding(response.headers_mut());
    if coding == Coding::Identity || head {
        return Ok(response);
    }
    let body: http_body_util::combinators::BoxBody<_, _> = response.take_body().into();
    if hyper::body::Body::size_hint(&body)
        .upper()
        .is_some_and(|upper| upper < MIN_COMPRESSED_BYTES)
    {
        response.set_body(Body::from(body));
        return Ok(response);
    }
    let reader = StreamReader::new(Body::from(body).into_bytes_stream());
    let (compressed, name) = if coding == Coding::Brotli {
        let encoder = BrotliEncoder::with_quality(reader, Level::Precise(5));
        (Body::from_async_read(encoder), "br")
    } else {
        let encoder = GzipEncoder::with_quality(reader, Level::Precise(6));
        (Body::from_async_read(encoder), "gzip")
    };
    response.set_body(compressed);
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    Ok(response)
}

/// Adds `Accept-Encoding` to the response's `Vary`, keeping what is there.
pub fn add_vary_accept_encoding(headers: &mut poem::http::HeaderMap) {
    let existing: Vec<String> = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if existing
        .iter()
        .any(|v| v == "*" || v.eq_ignore_ascii_case("accept-encoding"))
    {
        return;
    }
    let mut all = existing;
    all.push("Accept-Encoding".to_owned());
    if let Ok(value) = HeaderValue::from_str(&all.join(", ")) {
        headers.insert(header::VARY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coding_follows_accept_encoding() {
        let check = |header: Option<&str>, expected: Coding| {
            assert_eq!(Coding::preferred(header), expected, "{header:?}");
        };
        // Chromium, Firefox and Safari.
        check(Some("gzip, deflate, br, zstd"), Coding::Brotli);
        check(Some("gzip, deflate, br"), Coding::Brotli);
        check(Some("gzip"), Coding::Gzip);
        check(Some("GZIP;q=0.5"), Coding::Gzip);
        check(Some("br;q=0.4, gzip;q=0.8"), Coding::Gzip);
        check(Some("br;q=0, gzip"), Coding::Gzip);
        check(Some("*"), Coding::Brotli);
        check(Some("*;q=0.5, br;q=0"), Coding::Gzip);
        check(Some("gzip;q=0, br;q=0"), Coding::Identity);
        check(Some("identity"), Coding::Identity);
        check(Some("deflate"), Coding::Identity);
        check(Some(""), Coding::Identity);
        check(None, Coding::Identity);
        assert_eq!(
            Coding::accepted(Some("br;q=0.4, gzip;q=0.8")),
            [Coding::Gzip, Coding::Brotli, Coding::Identity]
        );
        assert_eq!(
            Coding::accepted(Some("gzip, br")),
            [Coding::Brotli, Coding::Gzip, Coding::Identity]
        );
    }

    #[test]
    fn text_is_compressed_and_binary_and_events_are_not() {
        for yes in [
            "application/json; charset=utf-8",
            "application/problem+json",
            "text/csv; charset=utf-8",
            "application/x-ndjson",
            "application/geo+json",
            "image/svg+xml",
            "text/html; charset=utf-8",
        ] {
            assert!(compressible(yes), "{yes}");
        }
        for no in [
            "image/png",
            "image/jpeg",
            "application/octet-stream",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "text/event-stream",
        ] {
            assert!(!compressible(no), "{no}");
        }
    }

    #[test]
    fn vary_gains_accept_encoding_once() {
        let mut headers = poem::http::HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("accept"));
        add_vary_accept_encoding(&mut headers);
        add_vary_accept_encoding(&mut headers);
        assert_eq!(headers[header::VARY], "accept, Accept-Encoding");
    }
}
