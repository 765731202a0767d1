//! What the CLI itself says on stderr besides the engine's logs (errors, warnings, the
//! summary), in the format of the logs: plain text, or with `--log-format json` one JSON object
//! per line in the shape of the JSON logs, so every line a pipeline reads parses.

use serde::Serialize;
use std::io::Write;
use std::sync::OnceLock;

static JSON: OnceLock<bool> = OnceLock::new();

/// Set once, by `main`, from the log format.
pub fn init(json: bool) {
    let _ = JSON.set(json);
}

pub fn is_json() -> bool {
    JSON.get().copied().unwrap_or(false)
}

#[derive(Serialize)]
struct Line<F: Serialize> {
    timestamp: String,
    level: &'static str,
    fields: F,
    target: &'static str,
}

#[derive(Serialize)]
struct Message<'a> {
    message: &'a str,
}

fn emit<F: Serialize>(level: &'static str, fields: F, text: impl FnOnce() -> String) {
    let mut out = if is_json() {
        let line = Line {
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            level,
            fields,
            target: "openai_access",
        };
        serde_json::to_string(&line).unwrap_or_default()
    } else {
        text()
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    // One write per line, so lines never interleave with the logger's.
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
}

pub fn error(message: &str) {
    emit("ERROR", Message { message }, || format!("error: {message}"));
}

pub fn warn(message: &str) {
    emit("WARN", Message { message }, || {
        format!("warning: {message}")
    });
}

pub fn info(message: &str) {
    emit("INFO", Message { message }, || message.to_owned());
}

/// A block a person reads as text (`text`), and a pipeline as one JSON line holding `value`
/// under `key`.
pub fn block(
    message: &str,
    key: &'static str,
    value: &impl Serialize,
    text: impl FnOnce() -> String,
) {
    let mut fields = serde_json::Map::new();
    fields.insert("message".to_owned(), message.into());
    fields.insert(
        key.to_owned(),
        serde_json::to_value(value).unwrap_or_default(),
    );
    emit("INFO", fields, text);
}

/// `first`, then `next` as a sentence after it: one full stop between them whether or not
/// `first` (often a server's message) already ends with one.
pub fn then(first: &str, next: &str) -> String {
    format!("{}. {next}", first.trim_end().trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_full_stop_between_sentences() {
        assert_eq!(
            super::then("it lacks the right scopes.", "Add them."),
            "it lacks the right scopes. Add them."
        );
        assert_eq!(
            super::then("HTTP 403: no", "Add them."),
            "HTTP 403: no. Add them."
        );
    }
}
