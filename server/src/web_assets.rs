//! The web pages and their files (`web/`), served so that a phone downloads each byte
//! once, compressed.
//!
//! **Compressed at build.** `scripts/compress-web.sh` (run by `just wasm`, which every
//! recipe that serves or tests the pages runs) writes `NAME.br` (brotli, quality 11) and
//! `NAME.gz` (gzip -9) beside every text file and the WASM module. A request gets the
//! variant its `Accept-Encoding` allows (br, then gzip, then the file as it is), with
//! the original's `Content-Type`, its own `Content-Length` and an ETag per variant. A
//! variant older than its file (someone edited the file since the build) is never sent:
//! the file goes as it is. Variants are never served under their own names.
//!
//! **Versioned names.** At start-up, and again whenever a file's size or time changes,
//! the tree is hashed: the version is a digest of every file's digest. Every file is
//! also served under `/v/<version>/<path>`, and there, when `<version>` is the current
//! one, with `Cache-Control: public, max-age=31536000, immutable`: its content cannot
//! change under that name, so a browser never asks again. Pages are rewritten when
//! served so that their scripts, style sheets and module preloads name the versioned
//! path; the modules import each other by relative paths, which resolve inside the same
//! prefix, and the WASM glue finds the module beside itself. Everything else (the pages,
//! the collect service worker, which must keep its address, the icons and the manifest
//! an installed app keeps by address) is `Cache-Control: no-cache` with an ETag, so a
//! revalidation is a 304. A versioned path with another version (a page loaded before a
//! release, or a replica with other files) still gets the file, but `no-cache`: a
//! cache never keeps under a version bytes that are not that version's.
//!
//! One version for the tree rather than one per file: a page's modules import each other
//! by path with no build step to rename them, and a prefix keeps those imports working
//! unchanged; the price is that a release downloads every file again once.
//!
//! Range requests are answered from the file as it is (a byte range of a compressed
//! variant would be a range of other bytes); `HEAD` is answered as `GET`
//! (`api::middleware::security_headers`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, Request, Response};
use sha2::{Digest, Sha256};

use crate::api::compression::{Coding, add_vary_accept_encoding, compress_best};

/// Where versioned names start.
pub const VERSIONED_PREFIX: &str = "/v/";

/// The cache lifetime of a versioned name: a year, and never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Extensions of the files worth compressing (the same list as scripts/compress-web.sh).
const COMPRESSIBLE: &[&str] = &[
    "js",
    "mjs",
    "css",
    "html",
    "svg",
    "wasm",
    "json",
    "webmanifest",
    "txt",
];

/// A file's size and modification time: when either changes, its digest is recomputed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(metadata: &std::fs::Metadata) -> Stamp {
        Stamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

#[derive(Debug, Clone)]
struct FileState {
    stamp: Stamp,
    /// The first 16 hex digits of the file's SHA-256.
    digest: String,
}

/// The tree as last hashed.
#[derive(Debug, Default)]
struct Snapshot {
    version: String,
    files: HashMap<String, FileState>,
}

/// A page as rewritten and compressed: its path, its digest, the version it points
/// into, and the coding.
type PageKey = (String, String, String, Coding);

/// The web directory, its version and the pages as rewritten for it.
#[derive(Debug)]
pub struct WebAssets {
    root: PathBuf,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Rewritten pages by (path, digest, version, coding), compressed once.
    pages: Mutex<HashMap<PageKey, Arc<Vec<u8>>>>,
}

impl WebAssets {
    /// Hashes the tree under `root` (a missing directory is an empty tree: the API still
    /// serves, the pages are 404).
    pub fn open(root: &Path) -> WebAssets {
        let snapshot = scan(root, &Snapshot::default());
        tracing::info!(web_dir = %root.display(), version = %snapshot.version, files = snapshot.files.len(), "web files hashed");
        WebAssets {
            root: root.to_owned(),
            snapshot: RwLock::new(Arc::new(snapshot)),
            pages: Mutex::new(HashMap::new()),
        }
    }

    /// The current version (what `/v/<version>/` names).
    pub fn version(&self) -> String {
        self.current().version.clone()
    }

    fn current(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The snapshot in which `rel` has `stamp`, hashing the tree again if it has changed.
    /// Pages (`whole_tree`) always look at every file's size and time first (a walk of
    /// stat calls; only changed files are read): a page names the version of all the
    /// others, so a file edited since start-up must move it before a browser is sent
    /// there, or it would keep an older copy under the old name.
    async fn snapshot_for(&self, rel: &str, stamp: Stamp, whole_tree: bool) -> Arc<Snapshot> {
        let current = self.current();
        if !whole_tree && current.files.get(rel).is_some_and(|f| f.stamp == stamp) {
            return current;
        }
        let root = self.root.clone();
        let previous = current.clone();
        let fresh = tokio::task::spawn_blocking(move || Arc::new(scan(&root, &previous)))
            .await
            .unwrap_or(current);
        if let Ok(mut guard) = self.snapshot.write() {
            if guard.version != fresh.version {
                tracing::info!(version = %fresh.version, "web files changed; new version");
            }
            *guard = fresh.clone();
        }
        fresh
    }

    /// The page at `rel`, rewritten for `version` and compressed with `coding`, kept.
    async fn page(
        &self,
        rel: &str,
        digest: &str,
        snapshot: &Snapshot,
        source: &[u8],
        coding: Coding,
    ) -> std::io::Result<Arc<Vec<u8>>> {
        let key = (
            rel.to_owned(),
            digest.to_owned(),
            snapshot.version.clone(),
            coding,
        );
        if let Some(kept) = self.pages.lock().ok().and_then(|p| p.get(&key).cloned()) {
            return Ok(kept);
        }
        let text = String::from_utf8_lossy(source);
        let rewritten = rewrite_page(&text, rel, &snapshot.version, |path| {
            snapshot.files.contains_key(path)
        });
        let body = Arc::new(compress_best(rewritten.as_bytes(), coding).await?);
        if let Ok(mut pages) = self.pages.lock() {
            // Old versions' pages are never asked for again once a page is edited.
            if pages.len() > 256 {
                pages.clear();
            }
            pages.insert(key, body.clone());
        }
        Ok(body)
    }

    /// Answers a `GET` for a file (see the module's documentation).
    async fn respond(&self, req: &Request) -> poem::Result<Response> {
        if req.method() != Method::GET {
            return Err(MethodNotAllowedError.into());
        }
        let path = req.uri().path();
        let (asked_version, rest) = match path.strip_prefix(VERSIONED_PREFIX) {
            Some(rest) => match rest.split_once('/') {
                Some((version, rest)) => (Some(version), rest),
                None => (Some(rest), ""),
            },
            None => (None, path.trim_start_matches('/')),
        };
        let Some(segments) = safe_segments(rest) else {
            return Err(NotFoundError.into());
        };
        let mut file = self.root.clone();
        file.extend(&segments);
        let mut rel = segments.join("/");
        let mut metadata = tokio::fs::metadata(&file)
            .await
            .map_err(|_| NotFoundError)?;
        if metadata.is_dir() {
            // A page is a folder: `/collect` becomes `/collect/`, so that the page's
            // relative addresses and its service worker's scope are the folder's.
            // (Nested at `/`, the request's path is the one the client sent.)
            let original = req.uri().path();
            if !original.ends_with('/') {
                return Ok(Response::builder()
                    .status(StatusCode::FOUND)
                    .header(header::LOCATION, format!("{original}/"))
                    .finish());
            }
            file.push("index.html");
            rel = if rel.is_empty() {
                "index.html".to_owned()
            } else {
                format!("{rel}/index.html")
            };
            metadata = tokio::fs::metadata(&file)
                .await
                .map_err(|_| NotFoundError)?;
        }
        if !metadata.is_file() {
            return Err(NotFoundError.into());
        }
        let stamp = Stamp::of(&metadata);
        let page = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html"));
        let snapshot = self.snapshot_for(&rel, stamp, page).await;
        let known = snapshot.files.get(&rel).filter(|f| f.stamp == stamp);
        // Read only when needed: a 304 or a variant does not need the file itself.
        let mut source = None;
        let digest = match known {
            Some(state) => state.digest.clone(),
            // Changed again while the tree was hashed: this answer's own digest.
            None => {
                let bytes = tokio::fs::read(&file).await.map_err(|_| NotFoundError)?;
                let digest = digest_of(&bytes);
                source = Some(bytes);
                digest
            }
        };
        let immutable = known.is_some() && asked_version == Some(snapshot.version.as_str());
        let extension = file
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let compressible = COMPRESSIBLE.contains(&extension.as_str());
        let ranged = req.headers().contains_key(header::RANGE);
        let codings = if compressible && !ranged {
            Coding::accepted_by(req)
        } else {
            vec![Coding::Identity]
        };
        let (coding, variant) = if page {
            (codings[0], None)
        } else {
            let mut chosen = (Coding::Identity, None);
            for coding in codings {
                if coding == Coding::Identity {
                    break;
                }
                if let Some(variant) = fresh_variant(&file, coding, stamp).await {
                    chosen = (coding, Some(variant));
                    break;
                }
            }
            chosen
        };
        let etag = if page {
            format!("\"{digest}-{}{}\"", snapshot.version, suffix(coding))
        } else {
            format!("\"{digest}{}\"", suffix(coding))
        };

        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&content_type(&file)) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        if let Ok(value) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, value);
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if immutable { IMMUTABLE } else { "no-cache" }),
        );
        if compressible {
            add_vary_accept_encoding(&mut headers);
        }
        // A 304 carries what identifies and caches the variant, not how a body is coded.
        if none_match(req, &etag) {
            return Ok(finish(StatusCode::NOT_MODIFIED, headers, Vec::new()));
        }
        if let Some(name) = coding.header() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
        }
        if !page {
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        }
        let bytes = match (&variant, source) {
            (Some(variant), _) => tokio::fs::read(variant).await,
            (None, Some(bytes)) => Ok(bytes),
            (None, None) => tokio::fs::read(&file).await,
        }
        .map_err(|_| NotFoundError)?;
        let body = if page {
            let kept = self
                .page(&rel, &digest, &snapshot, &bytes, coding)
                .await
                .map_err(poem::error::InternalServerError)?;
            Arc::try_unwrap(kept).unwrap_or_else(|shared| (*shared).clone())
        } else {
            bytes
        };
        if ranged && !page && if_range_holds(req, &etag) {
            let len = body.len() as u64;
            return Ok(match requested_range(req, len) {
                Range::Whole => finish(StatusCode::OK, headers, body),
                Range::Part(start, end) => {
                    if let Ok(value) =
                        HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1))
                    {
                        headers.insert(header::CONTENT_RANGE, value);
                    }
                    let part = body[start as usize..end as usize].to_vec();
                    finish(StatusCode::PARTIAL_CONTENT, headers, part)
                }
                Range::Unsatisfiable => {
                    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
                        headers.insert(header::CONTENT_RANGE, value);
                    }
                    finish(StatusCode::RANGE_NOT_SATISFIABLE, headers, Vec::new())
                }
            });
        }
        Ok(finish(StatusCode::OK, headers, body))
    }
}

/// The endpoint serving [`WebAssets`].
pub struct WebEndpoint(pub Arc<WebAssets>);

impl Endpoint for WebEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        self.0.respond(&req).await
    }
}

fn finish(status: StatusCode, headers: HeaderMap, body: Vec<u8>) -> Response {
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        response = response.header(name, value);
    }
    // Stated, so that `HEAD` (answered as `GET` with the body dropped) keeps it.
    if status != StatusCode::NOT_MODIFIED {
        response = response.header(header::CONTENT_LENGTH, body.len());
    }
    response.body(body)
}

fn suffix(coding: Coding) -> &'static str {
    match coding {
        Coding::Brotli => ".br",
        Coding::Gzip => ".gz",
        Coding::Identity => "",
    }
}

/// The variant of `file` for `coding`, if it exists and is not older than the file.
async fn fresh_variant(file: &Path, coding: Coding, source: Stamp) -> Option<PathBuf> {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix(coding));
    let variant = PathBuf::from(name);
    let metadata = tokio::fs::metadata(&variant).await.ok()?;
    let fresh = metadata.is_file()
        && match (metadata.modified().ok(), source.modified) {
            (Some(variant_time), Some(source_time)) => variant_time >= source_time,
            _ => false,
        };
    fresh.then_some(variant)
}

/// The path's segments, percent-decoded, or `None` for a path that leaves the tree,
/// names a hidden file or names a compressed variant.
fn safe_segments(path: &str) -> Option<Vec<String>> {
    let decoded = crate::api::middleware::percent_decode(path.as_bytes());
    let decoded = String::from_utf8(decoded).ok()?;
    let segments: Vec<String> = decoded
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let refused = |s: &String| s.starts_with('.') || s.contains('\\') || s.contains('\0');
    if segments.iter().any(refused) {
        return None;
    }
    if segments
        .last()
        .is_some_and(|last| last.ends_with(".br") || last.ends_with(".gz"))
    {
        return None;
    }
    Some(segments)
}

/// The file's media type, text in UTF-8 (as the pages are written).
fn content_type(file: &Path) -> String {
    let mime = mime_guess::from_path(file).first_or_octet_stream();
    let text = mime.type_() == mime::TEXT
        || mime.essence_str() == "application/javascript"
        || mime.essence_str() == "application/json";
    if text && mime.get_param(mime::CHARSET).is_none() {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.to_string()
    }
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for it).
fn none_match(req: &Request, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == "*" || v == etag)
}

/// Whether a range applies: no `If-Range`, or one naming this ETag.
fn if_range_holds(req: &Request, etag: &str) -> bool {
    match req
        .headers()
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(value) => value.trim() == etag,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Range {
    /// No single range to honour: the whole body.
    Whole,
    /// Bytes `start..end`.
    Part(u64, u64),
    /// A range past the end: 416.
    Unsatisfiable,
}

/// The one byte range asked for (`bytes=a-b`, `bytes=a-`, `bytes=-n`); several ranges,
/// or any other unit, get the whole body, which RFC 9110 allows.
fn requested_range(req: &Request, len: u64) -> Range {
    let Some(spec) = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Range::Whole;
    };
    if spec.contains(',') {
        return Range::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Range::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parsed = |s: &str| s.parse::<u64>().ok();
    match (first.is_empty(), last.is_empty()) {
        (true, false) => match parsed(last) {
            Some(0) => Range::Unsatisfiable,
            Some(n) if len > 0 => Range::Part(len.saturating_sub(n), len),
            Some(_) => Range::Unsatisfiable,
            None => Range::Whole,
        },
        (false, _) => {
            let Some(start) = parsed(first) else {
                return Range::Whole;
            };
            let end = if last.is_empty() {
                Some(len)
            } else {
                parsed(last).map(|l| l.saturating_add(1).min(len))
            };
            match end {
                None => Range::Whole,
                Some(_) if start >= len => Range::Unsatisfiable,
                Some(end) if end <= start => Range::Whole,
                Some(end) => Range::Part(start, end),
            }
        }
        (true, true) => Range::Whole,
    }
}

fn digest_of(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

/// Hashes every file under `root` (not hidden ones, not compressed variants), reusing
/// `previous`'s digests for files whose size and time have not changed.
fn scan(root: &Path, previous: &Snapshot) -> Snapshot {
    let mut files = HashMap::new();
    let mut pending = vec![(root.to_owned(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            // Follows links (a worktree may link node_modules); the depth bounds a loop.
            let Ok(metadata) = std::fs::metadata(&path) else {
                continue;
            };
            if metadata.is_dir() {
                if depth < 16 {
                    pending.push((path, rel, depth + 1));
                }
                continue;
            }
            if !metadata.is_file() || name.ends_with(".br") || name.ends_with(".gz") {
                continue;
            }
            let stamp = Stamp::of(&metadata);
            let digest = match previous.files.get(&rel) {
                Some(known) if known.stamp == stamp => known.digest.clone(),
                _ => match std::fs::read(&path) {
                    Ok(bytes) => digest_of(&bytes),
                    Err(_) => continue,
                },
            };
            files.insert(rel, FileState { stamp, digest });
        }
    }
    let mut names: Vec<&String> = files.keys().collect();
    names.sort();
    let mut tree = Sha256::new();
    for name in names {
        tree.update(name.as_bytes());
        tree.update([0]);
        tree.update(files[name].digest.as_bytes());
        tree.update([b'\n']);
    }
    Snapshot {
        version: hex::encode(&tree.finalize()[..8]),
        files,
    }
}

/// The page with the local scripts, style sheets and module preloads of its `<script
/// src>` and `<link href>` pointing into `/v/<version>/`. `page` is the page's path in
/// the tree (`collect/index.html`), against which relative addresses resolve; only files
/// that `exists` are rewritten. Icons and the manifest keep their addresses (see the
/// module's documentation); links (`<a href>`) are left alone.
pub fn rewrite_page(
    html: &str,
    page: &str,
    version: &str,
    exists: impl Fn(&str) -> bool,
) -> String {
    let base: Vec<&str> = page.split('/').filter(|s| !s.is_empty()).collect();
    let base = &base[..base.len().saturating_sub(1)];
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag_text = &rest[open..];
        let Some(close) = tag_text.find('>') else {
            out.push_str(tag_text);
            return out;
        };
        let tag = &tag_text[..=close];
        out.push_str(&rewrite_tag(tag, base, version, &exists));
        rest = &tag_text[close + 1..];
    }
    out.push_str(rest);
    out
}

fn rewrite_tag(tag: &str, base: &[&str], version: &str, exists: &impl Fn(&str) -> bool) -> String {
    let lower = tag.to_ascii_lowercase();
    let attribute = if lower.starts_with("<script ") {
        "src"
    } else if lower.starts_with("<link ") {
        let rel = attribute_value(tag, "rel")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !rel
            .split_whitespace()
            .any(|r| r == "stylesheet" || r == "modulepreload")
        {
            return tag.to_owned();
        }
        "href"
    } else {
        return tag.to_owned();
    };
    let Some((start, end)) = attribute_span(tag, attribute) else {
        return tag.to_owned();
    };
    let value = &tag[start..end];
    match resolve_local(value, base) {
        Some(path) if exists(&path) => {
            format!(
                "{}{VERSIONED_PREFIX}{version}/{path}{}",
                &tag[..start],
                &tag[end..]
            )
        }
        _ => tag.to_owned(),
    }
}

/// Where the value of `name="…"` lies in `tag`.
fn attribute_span(tag: &str, name: &str) -> Option<(usize, usize)> {
    let lower = tag.to_ascii_lowercase();
    let needle = format!(" {name}=\"");
    let start = lower.find(&needle)? + needle.len();
    let end = start + tag[start..].find('"')?;
    Some((start, end))
}

fn attribute_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    attribute_span(tag, name).map(|(start, end)| &tag[start..end])
}

/// The tree path an address names, if it is this site's (`/x`, `./x`, `../x`, `x`),
/// without query or fragment; `None` for another site, a scheme, or a path leaving the
/// tree.
fn resolve_local(value: &str, base: &[&str]) -> Option<String> {
    if value.is_empty()
        || value.starts_with("//")
        || value.starts_with('#')
        || value.contains(':')
        || value.contains('?')
        || value.starts_with(VERSIONED_PREFIX)
    {
        return None;
    }
    let mut parts: Vec<&str> = if value.starts_with('/') {
        Vec::new()
    } else {
        base.to_vec()
    };
    for segment in value.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_name_their_scripts_and_styles_under_the_version() {
        let page = r#"<link rel="manifest" href="./manifest.webmanifest">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="./collect.css">
<link rel="modulepreload" href="/pkg/agriwaste_analytics.js">
<link rel="stylesheet" href="https://elsewhere.example/x.css">
<script type="module" src="./app.js"></script>
<script type="module" src="../shared/missing.js"></script>
<a href="/dashboard/">看板</a>"#;
        let known = [
            "collect/collect.css",
            "pkg/agriwaste_analytics.js",
            "collect/app.js",
        ];
        let rewritten = rewrite_page(page, "collect/index.html", "abc", |p| known.contains(&p));
        assert_eq!(
            rewritten,
            r#"<link rel="manifest" href="./manifest.webmanifest">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/v/abc/collect/collect.css">
<link rel="modulepreload" href="/v/abc/pkg/agriwaste_analytics.js">
<link rel="stylesheet" href="https://elsewhere.example/x.css">
<script type="module" src="/v/abc/collect/app.js"></script>
<script type="module" src="../shared/missing.js"></script>
<a href="/dashboard/">看板</a>"#
        );
    }

    #[test]
    fn addresses_resolve_against_the_page() {
        let base = ["collect"];
        assert_eq!(
            resolve_local("./app.js", &base).as_deref(),
            Some("collect/app.js")
        );
        assert_eq!(
            resolve_local("app.js", &base).as_deref(),
            Some("collect/app.js")
        );
        assert_eq!(
            resolve_local("../shared/api.js", &base).as_deref(),
            Some("shared/api.js")
        );
        assert_eq!(
            resolve_local("/style.css", &base).as_deref(),
            Some("style.css")
        );
        assert_eq!(resolve_local("../../x.js", &base), None);
        assert_eq!(resolve_local("//cdn.example/x.js", &base), None);
        assert_eq!(resolve_local("data:text/css,x", &base), None);
    }

    #[test]
    fn paths_outside_the_tree_hidden_files_and_variants_are_refused() {
        assert_eq!(
            safe_segments("collect/app.js"),
            Some(vec!["collect".to_owned(), "app.js".to_owned()])
        );
        assert_eq!(safe_segments(""), Some(vec![]));
        for refused in [
            "../etc/passwd",
            "collect/%2e%2e/%2e%2e/x",
            ".git/config",
            "vendor/node_modules/.package-lock.sha256",
            "pkg/agriwaste_analytics_bg.wasm.br",
            "collect/app.js.gz",
            "a%5Cb",
        ] {
            assert_eq!(safe_segments(refused), None, "{refused}");
        }
    }

    #[test]
    fn one_byte_range_is_honoured_and_others_are_not() {
        let check = |header: &str, expected: Range| {
            let req = Request::builder().header(header::RANGE, header).finish();
            assert_eq!(requested_range(&req, 100), expected, "{header}");
        };
        check("bytes=0-9", Range::Part(0, 10));
        check("bytes=90-", Range::Part(90, 100));
        check("bytes=-10", Range::Part(90, 100));
        check("bytes=50-500", Range::Part(50, 100));
        check("bytes=100-", Range::Unsatisfiable);
        check("bytes=-0", Range::Unsatisfiable);
        check("bytes=0-1, 5-6", Range::Whole);
        check("bytes=9-2", Range::Whole);
        check("items=0-1", Range::Whole);
    }

    /// A web directory for one test, with `files` written in it.
    fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(&path, bytes).unwrap();
        }
        dir
    }

    async fn get(assets: &WebAssets, path: &str, accept_encoding: &str) -> Response {
        let req = Request::builder()
            .uri(path.parse().unwrap())
            .header(header::ACCEPT_ENCODING, accept_encoding)
            .finish();
        assets
            .respond(&req)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn header_of<'a>(response: &'a Response, name: &str) -> &'a str {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Sets a file's modification time `seconds` after the Unix epoch plus a day.
    fn set_time(path: &Path, seconds: u64) {
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(86_400 + seconds);
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(time))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    #[tokio::test]
    async fn a_variant_older_than_its_file_is_never_sent() {
        let dir = tree(&[
            ("app.js", b"export const a = 1;"),
            ("app.js.br", b"brotli of the first version"),
            ("app.js.gz", b"gzip of the first version"),
        ]);
        let js = dir.path().join("app.js");
        set_time(&js, 0);
        set_time(&dir.path().join("app.js.br"), 10);
        set_time(&dir.path().join("app.js.gz"), 10);
        let assets = WebAssets::open(dir.path());

        let response = get(&assets, "/app.js", "gzip, br").await;
        assert_eq!(header_of(&response, "content-encoding"), "br");
        assert_eq!(
            header_of(&response, "content-type"),
            "text/javascript; charset=utf-8"
        );
        let br_etag = header_of(&response, "etag").to_owned();
        assert!(br_etag.ends_with(".br\""), "{br_etag}");
        assert_eq!(header_of(&response, "content-length"), "27");
        let response = get(&assets, "/app.js", "gzip").await;
        assert_eq!(header_of(&response, "content-encoding"), "gzip");
        assert_ne!(header_of(&response, "etag"), br_etag);

        // A developer edits the file after the build: its variants are stale.
        std::fs::write(&js, b"export const a = 2;").unwrap();
        set_time(&js, 20);
        let version_before = assets.version();
        let response = get(&assets, "/app.js", "gzip, br").await;
        assert_eq!(header_of(&response, "content-encoding"), "");
        assert_eq!(header_of(&response, "vary"), "Accept-Encoding");
        let body = response.into_body().into_vec().await.unwrap();
        assert_eq!(body, b"export const a = 2;");
        assert_ne!(
            assets.version(),
            version_before,
            "the tree has a new version"
        );

        // Only the gzip variant rebuilt: that one is sent to a client allowing both.
        std::fs::write(dir.path().join("app.js.gz"), b"gzip of the second").unwrap();
        set_time(&dir.path().join("app.js.gz"), 30);
        let response = get(&assets, "/app.js", "br, gzip").await;
        assert_eq!(header_of(&response, "content-encoding"), "gzip");
    }

    #[tokio::test]
    async fn only_the_current_version_is_immutable() {
        let dir = tree(&[
            (
                "page/index.html",
                b"<script type=\"module\" src=\"./page.js\"></script>",
            ),
            ("page/page.js", b"import \"../shared/x.js\";"),
            ("shared/x.js", b"export {};"),
        ]);
        let assets = WebAssets::open(dir.path());
        let version = assets.version();

        let page = get(&assets, "/page/", "identity").await;
        assert_eq!(header_of(&page, "cache-control"), "no-cache");
        let body = page.into_body().into_string().await.unwrap_or_default();
        assert_eq!(
            body,
            format!("<script type=\"module\" src=\"/v/{version}/page/page.js\"></script>")
        );

        let current = get(&assets, &format!("/v/{version}/shared/x.js"), "").await;
        assert_eq!(header_of(&current, "cache-control"), IMMUTABLE);
        let other = get(&assets, "/v/0123456789abcdef/shared/x.js", "").await;
        assert_eq!(header_of(&other, "cache-control"), "no-cache");
        let plain = get(&assets, "/shared/x.js", "").await;
        assert_eq!(header_of(&plain, "cache-control"), "no-cache");
        assert_eq!(header_of(&plain, "etag"), header_of(&current, "etag"));

        // A module edited after start-up: the page names a new version at once, and the
        // old name no longer promises anything.
        std::fs::write(dir.path().join("shared/x.js"), b"export const edited = 1;").unwrap();
        let page = get(&assets, "/page/", "identity").await;
        let body = page.into_body().into_string().await.unwrap_or_default();
        let edited = assets.version();
        assert_ne!(edited, version);
        assert!(
            body.contains(&format!("/v/{edited}/page/page.js")),
            "{body}"
        );
        let old = get(&assets, &format!("/v/{version}/shared/x.js"), "").await;
        assert_eq!(header_of(&old, "cache-control"), "no-cache");
        let new = get(&assets, &format!("/v/{edited}/shared/x.js"), "").await;
        assert_eq!(header_of(&new, "cache-control"), IMMUTABLE);

        let redirect = get(&assets, "/page", "").await;
        assert_eq!(redirect.status(), StatusCode::FOUND);
        assert_eq!(header_of(&redirect, "location"), "/page/");
    }
}
