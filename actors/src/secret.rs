//! The admin key: a secret that is never printed, logged or written out, not even when a server
//! echoes it back.

use std::borrow::Cow;
use std::fmt;

/// What stands where a secret was.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// An OpenAI Admin API key. `Debug` and `Display` redact it; only the HTTP layer reads it.
#[derive(Clone)]
pub struct AdminKey {
    key: String,
    /// Finds the key in what servers send back; built once per key.
    redactor: std::sync::Arc<Redactor>,
}

impl PartialEq for AdminKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for AdminKey {}

impl AdminKey {
    /// Trims surrounding whitespace (a key file usually ends in a newline); `None` if empty.
    pub fn new(raw: impl AsRef<str>) -> Option<Self> {
        let key = raw.as_ref().trim();
        (!key.is_empty()).then(|| Self {
            key: key.to_owned(),
            redactor: std::sync::Arc::new(Redactor::new(key)),
        })
    }

    pub(crate) fn expose(&self) -> &str {
        &self.key
    }

    /// Whether `redacted` (the API's `sk-admin...abc`: the key's start, `...`, its end) can be
    /// this key's. The comparison is all that happens with the key: nothing of it leaves.
    pub fn matches_redacted(&self, redacted: &str) -> bool {
        match redacted.split_once("...") {
            Some((start, end)) if !start.is_empty() && !end.is_empty() => {
                self.key.len() >= start.len() + end.len()
                    && self.key.starts_with(start)
                    && self.key.ends_with(end)
            }
            _ => false,
        }
    }

    /// The API's redacted form of this key (its first 8 and last 4 characters).
    pub fn redacted(&self) -> String {
        let chars: Vec<char> = self.key.chars().collect();
        let start: String = chars.iter().take(8).collect();
        let end: String = chars[chars.len().saturating_sub(4)..].iter().collect();
        format!("{start}...{end}")
    }

    /// What is wrong with the key's characters, if anything: a key travels in an HTTP header,
    /// so a line break or a control character (a key file with two lines, a pasted escape)
    /// would fail every request with an obscure transport error.
    pub fn problem(&self) -> Option<&'static str> {
        if self.key.chars().any(char::is_whitespace) {
            Some("it contains whitespace or a line break (a key file must hold the key alone)")
        } else if self.key.chars().any(|c| c.is_control() || !c.is_ascii()) {
            Some("it contains control or non-ASCII characters")
        } else {
            None
        }
    }

    /// `body` with the key's material replaced by [`REDACTED`] wherever it stands, in any of
    /// the forms [`Redactor`] knows: a server that echoes the key back (in an error message,
    /// or in any field) must not get it into a log or an output. Borrowed unchanged in the
    /// usual case, so this costs one scan per response.
    pub fn scrub<'a>(&self, body: &'a [u8]) -> Cow<'a, [u8]> {
        self.redactor.redact_bytes(body)
    }

    /// [`AdminKey::scrub`] for a JSON body, and then again on its decoded strings when it has
    /// `\\u` escapes: `sk\u002dadmin…` holds the key although no byte of the body spells it.
    /// The body is re-encoded only when a decoded string held key material.
    pub fn scrub_json<'a>(&self, body: &'a [u8]) -> Cow<'a, [u8]> {
        let raw = self.scrub(body);
        if !memchr::memchr_iter(b'\\', &raw).any(|i| raw.get(i + 1) == Some(&b'u')) {
            return raw;
        }
        // Not JSON: decoding it fails later, and a failure names no content.
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&raw) else {
            return raw;
        };
        if !self.redact_value(&mut value) {
            return raw;
        }
        match serde_json::to_vec(&value) {
            Ok(clean) => Cow::Owned(clean),
            Err(_) => Cow::Owned(br#"{"error":{"message":"[REDACTED]"}}"#.to_vec()),
        }
    }

    /// Redacts every string of `value` (keys included); whether any changed.
    fn redact_value(&self, value: &mut serde_json::Value) -> bool {
        use serde_json::Value as V;
        match value {
            V::String(s) => match self.redact(s) {
                Cow::Owned(clean) => {
                    *s = clean;
                    true
                }
                Cow::Borrowed(_) => false,
            },
            V::Array(items) => {
                // Every item, not just up to the first that changed.
                let mut changed = false;
                for v in items {
                    changed |= self.redact_value(v);
                }
                changed
            }
            V::Object(map) => {
                let dirty: Vec<String> = map
                    .keys()
                    .filter(|k| matches!(self.redact(k), Cow::Owned(_)))
                    .cloned()
                    .collect();
                for k in &dirty {
                    if let Some(v) = map.remove(k) {
                        map.insert(self.redact(k).into_owned(), v);
                    }
                }
                let mut changed = !dirty.is_empty();
                for v in map.values_mut() {
                    changed |= self.redact_value(v);
                }
                changed
            }
            _ => false,
        }
    }

    /// `text` (already decoded) with the key's material replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.redactor.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Matches are ASCII runs, so cutting them out keeps the text UTF-8.
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    /// Text a server wrote (decoded), made safe to print and store: this key in any form,
    /// then any credential ([`server_text`]).
    pub fn server_text(&self, text: &str) -> String {
        server_text(&self.redact(text))
    }
}

/// How long a run of the key's characters must be to count as a leak: long enough that it
/// cannot be chance, short enough that a truncated, prefix-stripped or partly quoted key is
/// still caught.
pub(crate) const LEAK_RUN: usize = 8;

/// Finds a key's material in bytes: any run of [`LEAK_RUN`] or more of its characters that
/// reaches past its public prefix (`sk-admin-`: every admin key starts so, and the API's own
/// redacted form shows the first 8 characters), in any letter case, plain or percent-encoded,
/// and in base64 (standard or URL-safe, at every alignment).
struct Redactor {
    /// Every run, plain, percent-encoded and base64, matched without regard to ASCII case in
    /// one pass (a base64 run of 12 characters matched in the wrong case by chance is not a
    /// risk worth a second pass over every body).
    automata: Vec<aho_corasick::AhoCorasick>,
    /// The key, lower-cased: a plain run found is widened to the whole of the key it is part
    /// of (its public prefix included), so `sk-admin-…` reads as one `[REDACTED]`.
    lower: Vec<u8>,
}

impl Redactor {
    fn new(key: &str) -> Self {
        let key = key.as_bytes();
        let public = public_prefix_len(key);
        // Windows of the key: [start, start + LEAK_RUN), each reaching past the public prefix.
        let windows: Vec<&[u8]> = if key.len() <= LEAK_RUN {
            vec![key]
        } else {
            (0..=key.len() - LEAK_RUN)
                .filter(|&i| i + LEAK_RUN > public)
                .map(|i| &key[i..i + LEAK_RUN])
                .collect()
        };
        let mut folded: Vec<Vec<u8>> = windows.iter().map(|w| w.to_vec()).collect();
        for w in &windows {
            folded.push(percent(w, |_| true));
            if w.iter().any(|b| !b.is_ascii_alphanumeric()) {
                folded.push(percent(w, |b| !b.is_ascii_alphanumeric()));
            }
        }
        folded.extend(base64_runs(key, public).unwrap_or_default());
        // A few hundred short patterns are far inside the builder's limits; were they not,
        // the whole key is still found.
        let automata = automaton(&folded)
            .or_else(|| automaton(&[key.to_vec()]))
            .into_iter()
            .collect();
        Self {
            automata,
            lower: key.to_ascii_lowercase(),
        }
    }

    fn redact_bytes<'a>(&self, body: &'a [u8]) -> Cow<'a, [u8]> {
        if !self.automata.iter().any(|a| a.is_match(body)) {
            return Cow::Borrowed(body);
        }
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for a in &self.automata {
            spans.extend(a.find_overlapping_iter(body).map(|m| (m.start(), m.end())));
        }
        spans.sort_unstable();
        let mut out = Vec::with_capacity(body.len());
        let mut copied = 0;
        let mut i = 0;
        while i < spans.len() {
            let (mut start, mut end) = spans[i];
            // Overlapping or touching windows are one leaked run.
            while i + 1 < spans.len() && spans[i + 1].0 <= end {
                i += 1;
                end = end.max(spans[i].1);
            }
            while start > copied && self.part_of_key(&body[start - 1..end]) {
                start -= 1;
            }
            if start >= copied {
                out.extend_from_slice(&body[copied..start]);
                out.extend_from_slice(REDACTED.as_bytes());
                copied = end;
            }
            i += 1;
        }
        out.extend_from_slice(&body[copied..]);
        Cow::Owned(out)
    }
}

impl Redactor {
    fn part_of_key(&self, run: &[u8]) -> bool {
        memchr::memmem::find(&self.lower, &run.to_ascii_lowercase()).is_some()
    }
}

/// The length of the part of a key everyone knows: `sk-<kind>-` (`sk-admin-`, `sk-proj-`) or
/// the 8 characters the API's redacted form shows, whichever is longer.
fn public_prefix_len(key: &[u8]) -> usize {
    let kind = key
        .strip_prefix(b"sk-")
        .and_then(|rest| rest.iter().take(16).position(|&b| b == b'-'))
        .map_or(0, |dash| "sk-".len() + dash + 1);
    kind.max(8).min(key.len().saturating_sub(1))
}

/// `bytes` with those `encode` picks written as `%XX`.
fn percent(bytes: &[u8], encode: impl Fn(u8) -> bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if encode(b) {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

/// Runs of the key's base64 (standard and URL-safe) at each of the three alignments a
/// containing text can give it: whole 4-character groups spanning 9 key bytes (at least
/// [`LEAK_RUN`]) that reach past the public prefix. `None` for a key too short to have any.
fn base64_runs(key: &[u8], public: usize) -> Option<Vec<Vec<u8>>> {
    use base64::Engine as _;
    const GROUPS: usize = 3;
    let span = GROUPS * 3;
    let mut runs = Vec::new();
    for align in 0..3 {
        let Some(tail) = key.get(align..) else {
            continue;
        };
        for engine in [
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            let encoded = engine.encode(tail).into_bytes();
            let mut g = 0;
            while align + 3 * g + span <= key.len() {
                if align + 3 * g + span > public {
                    runs.push(encoded[4 * g..4 * (g + GROUPS)].to_vec());
                }
                g += 1;
            }
        }
    }
    runs.sort_unstable();
    runs.dedup();
    (!runs.is_empty()).then_some(runs)
}

fn automaton(patterns: &[Vec<u8>]) -> Option<aho_corasick::AhoCorasick> {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(patterns)
        .ok()
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
pub(crate) fn server_text(text: &str) -> String {
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
pub(crate) fn redact_tokens(text: &str) -> String {
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

    /// Every form the security probe saw leak, and a few more: none may survive, whatever
    /// surrounds it.
    #[test]
    fn the_key_is_found_in_every_form_a_server_may_echo() {
        use base64::Engine as _;
        let secret = "sk-admin-Q7xv2LmN9pRtY4wZ8kB3cD6fG1hJ5";
        let k = AdminKey::new(secret).expect("key");
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let b64url = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let forms = [
            secret.to_owned(),
            secret.to_uppercase(),
            secret.to_lowercase(),
            secret.replace('-', "%2D"),
            secret
                .bytes()
                .map(|b| format!("%{b:02x}"))
                .collect::<String>(),
            b64(secret),
            b64(&format!("x{secret}")),
            b64(&format!("xy{secret}")),
            b64url(&format!("Bearer {secret}")),
            secret[..secret.len() - 1].to_owned(),
            secret["sk-".len()..].to_owned(),
            secret["sk-admin-".len()..].to_owned(),
            secret[12..24].to_owned(),
        ];
        for form in &forms {
            let text = format!("Incorrect API key provided: {form}. Try again");
            let out = k.redact(&text);
            assert!(out.contains(REDACTED), "{form} not found in {out}");
            for run in secret.as_bytes().windows(LEAK_RUN).skip(2) {
                let run = std::str::from_utf8(run).expect("ascii");
                assert!(
                    !out.to_lowercase().contains(&run.to_lowercase()),
                    "{run} of {form} left in {out}"
                );
            }
            assert!(out.starts_with("Incorrect API key provided: "), "{out}");
            assert!(out.ends_with(". Try again"), "{out}");
        }
        // The public prefix, the API's redacted form and short pieces are not the key.
        for keep in [
            "sk-admin...hJ5 is the key's redacted value",
            "keys start with sk-admin-",
            "Q7xv2Lm",
            "plain text",
        ] {
            assert_eq!(k.redact(keep), keep);
        }
    }

    #[test]
    fn a_json_escaped_key_is_redacted_after_decoding() {
        let k = AdminKey::new("sk-admin-Q7xv2LmN9pRtY4wZ8kB3").expect("key");
        let escaped: String = "sk-admin-Q7xv2LmN9pRtY4wZ8kB3"
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let body = format!(
            r#"{{"error":{{"message":"bad key {escaped}","code":null}},"n":[1,"{escaped}"]}}"#
        );
        assert!(
            matches!(k.scrub(body.as_bytes()), Cow::Borrowed(_)),
            "no raw byte spells it"
        );
        let clean = k.scrub_json(body.as_bytes());
        let v: serde_json::Value = serde_json::from_slice(&clean).expect("still JSON");
        assert_eq!(
            v["error"]["message"],
            format!("bad key {REDACTED}"),
            "the whole key, prefix included"
        );
        assert_eq!(v["n"][1], REDACTED);
        assert_eq!(v["n"][0], 1);
        // Escapes without the key are left as they were, byte for byte.
        let innocent = br#"{"name":"caf\u00e9"}"#;
        assert!(matches!(k.scrub_json(innocent), Cow::Borrowed(_)));
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
