//! The API's messages are read by people: the pages show `message_zh` and `message_en`
//! as they come (a refused sign-in, a review without a comment, a user that cannot be
//! created), while programs switch on `code` and `path`. So no message may name a field
//! by wire path or speak of types, like the analytics crate's issue messages (whose own
//! test renders every `IssueCode`).
//!
//! The messages are written where each error arises, a Chinese text and then its English
//! one, so this test reads the API and auth sources: every string literal holding Chinese
//! is a message, and the literal after it is its English version.

use std::fs;
use std::path::{Path, PathBuf};

use agriwaste_analytics::labels::unreadable_words;

fn source_files() -> Vec<PathBuf> {
    let server = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for dir in ["src/api", "src/auth"] {
        let entries = fs::read_dir(server.join(dir))
            .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
            .flatten();
        found.extend(
            entries
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "rs")),
        );
    }
    found.push(server.join("src/ingest.rs"));
    found.sort();
    found
}

/// The string literals of `source` before its tests, with their line numbers: `"…"` with
/// escapes, leaving out comments and characters (`'"'`).
fn string_literals(source: &str) -> Vec<(usize, String)> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut literals = Vec::new();
    for (number, line) in code.lines().enumerate() {
        let mut chars = line.chars().peekable();
        let mut previous = ' ';
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => break,
                '\'' if chars.peek() == Some(&'"') => {
                    chars.next();
                }
                '"' if previous != '\'' => {
                    let mut text = String::new();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => {
                                chars.next();
                            }
                            '"' => break,
                            _ => text.push(c),
                        }
                    }
                    literals.push((number + 1, text));
                }
                _ => {}
            }
            previous = c;
        }
    }
    literals
}

fn is_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The text with `format!` placeholders (`{code}`, `{}`) taken out: what they stand for
/// is a value, not part of the wording.
fn wording(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn api_messages_name_no_wire_path_and_no_type() {
    let mut offending = Vec::new();
    let mut messages = 0;
    for path in source_files() {
        let source = fs::read_to_string(&path).unwrap_or_default();
        let literals = string_literals(&source);
        for (index, (line, text)) in literals.iter().enumerate() {
            if !is_chinese(text) {
                continue;
            }
            messages += 1;
            let english = literals.get(index + 1).filter(|(_, en)| !is_chinese(en));
            for (at, message) in std::iter::once((line, text)).chain(english.map(|(l, t)| (l, t))) {
                let bad = unreadable_words(&wording(message));
                if !bad.is_empty() {
                    let file = path.file_name().unwrap_or_default().to_string_lossy();
                    offending.push(format!("{file}:{at}: {message:?} has {bad:?}"));
                }
            }
        }
    }
    assert!(
        messages > 50,
        "only {messages} messages found: is the reader broken?"
    );
    assert!(
        offending.is_empty(),
        "messages a person reads name wire paths or types:\n{}",
        offending.join("\n")
    );
}
