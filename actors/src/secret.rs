//! The admin key: a secret that is never printed, logged or written out, not even when a server
//! echoes it back.

use std::fmt;

/// What stands where a secret was.
pub const REDACTED: &str = "[REDACTED]";

/// An OpenAI Admin API key. `Debug` and `Display` redact it; only the HTTP layer reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminKey(String);

impl AdminKey {
    /// Trims surrounding whitespace (a key file usually ends in a newline); `None` if empty.
    pub fn new(raw: impl AsRef<str>) -> Option<Self> {
        let key = raw.as_ref().trim();
        (!key.is_empty()).then(|| Self(key.to_owned()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `redacted` (the API's `sk-admin...abc`: the key's start, `...`, its end) can be
    /// this key's. The comparison is all that happens with the key: nothing of it leaves.
    pub fn matches_redacted(&self, redacted: &str) -> bool {
        match redacted.split_once("...") {
            Some((start, end)) if !start.is_empty() && !end.is_empty() => {
                self.0.len() >= start.len() + end.len()
                    && self.0.starts_with(start)
                    && self.0.ends_with(end)
            }
            _ => false,
        }
    }

    /// The API's redacted form of this key (its first 8 and last 4 characters).
    pub fn redacted(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let start: String = chars.iter().take(8).collect();
        let end: String = chars[chars.len().saturating_sub(4)..].iter().collect();
        format!("{start}...{end}")
    }

    /// What is wrong with the key's characters, if anything: a key travels in an HTTP header,
    /// so a line break or a control character (a key file with two lines, a pasted escape)
    /// would fail every request with an obscure transport error.
    pub fn problem(&self) -> Option<&'static str> {
        if self.0.chars().any(char::is_whitespace) {
            Some("it contains whitespace or a line break (a key file must hold the key alone)")
        } else if self.0.chars().any(|c| c.is_control() || !c.is_ascii()) {
            Some("it contains control or non-ASCII characters")
        } else {
            None
        }
    }

    /// `body` with every occurrence of the key replaced by [`REDACTED`]: a server that echoes
    /// the key back (in an error message, or in any field) must not get it into a log or an
    /// output. Borrowed unchanged in the usual case, so this costs one scan per response.
    pub fn scrub<'a>(&self, body: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let key = self.0.as_bytes();
        let finder = memchr::memmem::Finder::new(key);
        let Some(first) = finder.find(body) else {
            return std::borrow::Cow::Borrowed(body);
        };
        let mut out = Vec::with_capacity(body.len());
        let mut rest = body;
        let mut at = Some(first);
        while let Some(i) = at {
            out.extend_from_slice(&rest[..i]);
            out.extend_from_slice(REDACTED.as_bytes());
            rest = &rest[i + key.len()..];
            at = finder.find(rest);
        }
        out.extend_from_slice(rest);
        std::borrow::Cow::Owned(out)
    }
}

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminKey(***)")
    }
}

impl fmt::Display for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Text a server wrote, made safe to print and store: credentials redacted
/// ([`redact_tokens`]) and characters that could forge or hide a line escaped ([`printable`]).
pub fn server_text(text: &str) -> String {
    printable(&redact_tokens(text)).into_owned()
}

/// `text` with control characters (a newline would forge a log line, NUL cut it) and bidi
/// controls (U+202E would reverse what follows on screen) written as `\u{..}` escapes.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    fn hidden(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    }
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `text` with anything that looks like a credential replaced by [`REDACTED`]: the token after
/// `Bearer ` (any case) and every `sk-…` key. For texts a server wrote (error messages), which
/// may quote another key than ours, or ours in a form `scrub` did not see.
pub fn redact_tokens(text: &str) -> String {
    fn token_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=')
    }
    // ASCII lower-casing keeps every byte offset, so `lower` indexes `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i) = (0, 0);
    while let Some(c) = text[i..].chars().next() {
        let candidate = if lower[i..].starts_with("bearer ") {
            // A token is long; "a bearer of news" is not one.
            Some((i + "bearer ".len(), 6))
        } else if lower[i..].starts_with("sk-")
            && !text[..i].chars().next_back().is_some_and(token_char)
        {
            Some((i, "sk-".len() + 4))
        } else {
            None
        };
        if let Some((start, min_len)) = candidate {
            let end = text[start..]
                .find(|c: char| !token_char(c))
                .map_or(text.len(), |e| start + e);
            if end - start >= min_len {
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED);
                (copied, i) = (end, end);
                continue;
            }
        }
        i += c.len_utf8();
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_cannot_forge_or_hide_a_line() {
        let forged = "no such user\n2026-12-01T00:00:00Z  INFO Granted.\u{0}\u{202E}txt.exe";
        let shown = server_text(forged);
        assert!(!shown.contains('\n') && !shown.contains('\u{0}') && !shown.contains('\u{202E}'));
        assert!(
            shown.contains("\\u{a}") && shown.contains("\\u{202e}"),
            "{shown}"
        );
        assert_eq!(server_text("plain text, é ü"), "plain text, é ü");
    }

    #[test]
    fn debug_and_display_redact() {
        let k = AdminKey::new("sk-admin-very-secret\n").expect("non-empty");
        assert_eq!(format!("{k:?}"), "AdminKey(***)");
        assert_eq!(format!("{k}"), "***");
        assert_eq!(k.expose(), "sk-admin-very-secret");
        assert!(AdminKey::new("  \n").is_none());
    }

    #[test]
    fn an_echoed_key_is_scrubbed_wherever_it_stands() {
        let k = AdminKey::new("sk-admin-s3cret").expect("key");
        let body = br#"{"error":{"message":"Incorrect API key provided: sk-admin-s3cret","x":"sk-admin-s3cret"}}"#;
        let out = k.scrub(body);
        let text = std::str::from_utf8(&out).expect("utf8");
        assert!(!text.contains("s3cret"), "{text}");
        assert_eq!(text.matches(REDACTED).count(), 2);
        assert!(serde_json::from_str::<serde_json::Value>(text).is_ok());
        assert!(matches!(
            k.scrub(b"nothing here"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn bearer_tokens_and_sk_keys_are_redacted_from_server_text() {
        for (text, gone) in [
            (
                "Incorrect API key provided: Bearer sk-admin-abc123.",
                "abc123",
            ),
            ("auth header was 'BEARER xyz.789' today", "xyz.789"),
            ("key sk-proj-AbC_9 leaked", "AbC_9"),
            ("sk-admin-first and sk-admin-second", "first"),
        ] {
            let out = redact_tokens(text);
            assert!(!out.contains(gone), "{text} -> {out}");
            assert!(out.contains(REDACTED), "{out}");
        }
        assert_eq!(
            redact_tokens("sk-admin-first and sk-admin-second")
                .matches(REDACTED)
                .count(),
            2
        );
        for keep in [
            "task-list is fine",
            "no secrets here",
            "a bearer of news",
            "ask-me",
        ] {
            assert_eq!(redact_tokens(keep), keep);
        }
    }

    #[test]
    fn malformed_keys_are_named() {
        assert!(
            AdminKey::new("sk-a\nsk-b")
                .expect("key")
                .problem()
                .is_some()
        );
        assert!(
            AdminKey::new("sk-a\u{7}b")
                .expect("key")
                .problem()
                .is_some()
        );
        assert!(
            AdminKey::new("sk-admin-ok_1")
                .expect("key")
                .problem()
                .is_none()
        );
    }
}
