//! The architecture invariants of ARCHITECTURE.md, checked against the source tree.
//!
//! Each test reads files as text: these rules are about which module may know what, and
//! an import or a dependency line is where that knowledge shows. A test here fails with the
//! file and line that break the rule, so the map in ARCHITECTURE.md stays true.

use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root (this crate lives in `server/`).
fn workspace() -> PathBuf {
    let server = Path::new(env!("CARGO_MANIFEST_DIR"));
    server.parent().unwrap_or(server).to_path_buf()
}

/// Every file below `dir` whose name ends with `ext`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(ext) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The lines (1-based number, text) of every `ext` file below `dir` that `offends` flags,
/// leaving out comment lines.
fn offending_lines(dir: &Path, ext: &str, offends: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for path in files(dir, ext) {
        let text =
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") || code.starts_with('*') || code.starts_with("/*") {
                continue;
            }
            if offends(code) {
                let shown = path.strip_prefix(workspace()).unwrap_or(&path);
                found.push(format!("{}:{}: {}", shown.display(), number + 1, code));
            }
        }
    }
    found
}

fn assert_none(rule: &str, found: Vec<String>) {
    assert!(found.is_empty(), "{rule}, broken at:\n{}", found.join("\n"));
}

#[test]
fn api_modules_do_not_import_startup() {
    let api = workspace().join("server/src/api");
    assert_none(
        "no module under server/src/api imports `startup` (the state lives in `state`)",
        offending_lines(&api, ".rs", |line| {
            line.contains("crate::startup") || line.contains("super::startup")
        }),
    );
}

#[test]
fn only_storage_knows_sql() {
    let src = workspace().join("server/src");
    let mut found = offending_lines(&src, ".rs", |line| {
        line.contains("sea_orm::") || line.contains("sqlx::") || line.contains("use sea_orm")
    });
    found.retain(|place| !place.starts_with("server/src/storage/"));
    assert_none("only server/src/storage issues queries", found);
}

#[test]
fn storage_and_exports_know_no_http() {
    for room in ["server/src/storage", "server/src/exports"] {
        let dir = workspace().join(room);
        assert_none(
            &format!("{room} knows neither HTTP nor the API layer"),
            offending_lines(&dir, ".rs", |line| {
                line.contains("poem") || line.contains("crate::api") || line.contains("hyper")
            }),
        );
    }
}

#[test]
fn handlers_never_compare_role_names() {
    let api = workspace().join("server/src/api");
    assert_none(
        "every access decision is a method of auth::Principal: handlers never compare roles",
        offending_lines(&api, ".rs", |line| {
            // `Role::` however qualified, beside a comparison or a pattern match; the
            // conversions between the API's role type and auth's (`A::X => Role::X`) pass.
            line.contains("Role::")
                && ["==", "!=", "matches!", "if let", "Some(Role::"]
                    .iter()
                    .any(|compare| line.contains(compare))
        }),
    );
}

/// The analytics crate's dependencies: pure computation, serialisation and drawing. A new
/// one is a decision to make here, in the open, not in passing.
const ANALYTICS_DEPENDENCIES: &[&str] = &[
    "chrono",
    "serde",
    "serde_json",
    "serde_path_to_error",
    "uuid",
    "libm",
    "plotters",
    "plotters-backend",
    "resvg",
    "wasm-bindgen",
];

/// The analytics crate does no I/O: no dependency outside the list above (`[dependencies]`
/// tables only; dev-dependencies are the tests'), and no file, network, process,
/// environment or clock call in its source outside tests.
#[test]
fn analytics_crate_does_no_io() {
    let manifest = fs::read_to_string(workspace().join("analytics-wasm/Cargo.toml"))
        .expect("analytics-wasm/Cargo.toml");
    let mut in_dependencies = false;
    let mut unexpected = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line.ends_with("dependencies]") && !line.contains("dev-dependencies");
            continue;
        }
        if !in_dependencies || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line
            .split(['=', '.'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if !ANALYTICS_DEPENDENCIES.contains(&name.as_str()) {
            unexpected.push(format!("analytics-wasm/Cargo.toml: {line}"));
        }
    }
    assert_none("the analytics crate depends on no I/O crate", unexpected);

    let src = workspace().join("analytics-wasm/src");
    let mut found = offending_lines(&src, ".rs", |line| {
        [
            "std::fs",
            "std::net",
            "std::process",
            "std::env",
            "::now()",
            "tokio",
            "std::io::stdin",
        ]
        .iter()
        .any(|call| line.contains(call))
    });
    // Unit tests may read the font a PNG test rasterizes with.
    found.retain(|place| !place.contains("/tests.rs:"));
    assert_none("the analytics crate does no I/O", found);
}

/// A page imports only its own folder, the shared helpers, the WASM module and the
/// vendored modules: never another page's folder.
#[test]
fn pages_import_no_other_page() {
    let web = workspace().join("web");
    let pages: Vec<String> = fs::read_dir(&web)
        .expect("web/")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !["shared", "pkg", "vendor"].contains(&name.as_str()))
        .collect();
    let mut found = Vec::new();
    for page in &pages {
        let others: Vec<&String> = pages.iter().filter(|other| *other != page).collect();
        let offending = offending_lines(&web.join(page), ".js", |line| {
            (line.starts_with("import") || line.contains("import(") || line.contains(" from "))
                && others.iter().any(|other| {
                    line.contains(&format!("/{other}/")) || line.contains(&format!("../{other}"))
                })
        });
        found.extend(offending);
        let html = offending_lines(&web.join(page), ".html", |line| {
            (line.contains("<script") || line.contains("<link"))
                && others.iter().any(|other| {
                    line.contains(&format!("/{other}/")) || line.contains(&format!("../{other}"))
                })
        });
        found.extend(html);
    }
    assert_none(
        "no page imports another page's folder (shared code lives in web/shared)",
        found,
    );
}
