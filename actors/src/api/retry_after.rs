//! How long a server asks us to wait: `Retry-After-Ms`, `Retry-After` (seconds or an HTTP
//! date), read without ever trusting the number.

use std::time::Duration;

/// The longest wait a header is read as: anything longer (or unrepresentable, like
/// `Retry-After: 1e300` or a date in year 9999) is read as this, then capped by the call's
/// retry budget like every other wait.
pub(super) const LONGEST_SERVER_WAIT: Duration = Duration::from_secs(30 * 24 * 3600);

/// Seconds from a server, as a wait: `None` for nonsense (negative, NaN), and at most
/// [`LONGEST_SERVER_WAIT`]. Never panics, whatever the number.
fn server_seconds(secs: f64) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(
        Duration::try_from_secs_f64(secs)
            .unwrap_or(LONGEST_SERVER_WAIT)
            .min(LONGEST_SERVER_WAIT),
    )
}

/// `Retry-After-Ms` (milliseconds), else `Retry-After` (seconds or an HTTP date).
pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(wait) = text("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .and_then(|ms| server_seconds(ms / 1000.0))
    {
        return Some(wait);
    }
    let v = text("retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return server_seconds(secs);
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(crate::clock::now())
            .unwrap_or(Duration::ZERO)
            .min(LONGEST_SERVER_WAIT),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        let mut d = HeaderMap::new();
        d.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&d), Some(Duration::ZERO));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn absurd_retry_after_values_are_read_without_panicking() {
        for (name, value, want) in [
            ("retry-after", "1e300", Some(LONGEST_SERVER_WAIT)),
            ("retry-after", "999999", Some(Duration::from_secs(999_999))),
            ("retry-after", "-5", None),
            ("retry-after", "NaN", None),
            ("retry-after", "inf", Some(LONGEST_SERVER_WAIT)),
            ("retry-after-ms", "1e300", Some(LONGEST_SERVER_WAIT)),
            (
                "retry-after",
                "Fri, 31 Dec 9999 23:59:59 GMT",
                Some(LONGEST_SERVER_WAIT),
            ),
        ] {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_static(value));
            assert_eq!(retry_after(&h), want, "{name}: {value}");
        }
    }
}
