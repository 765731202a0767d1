//! How durations are said to people, in logs, summaries, plans and errors: one wording
//! everywhere.

use std::time::Duration;

/// `d` the way a person reads it: `300 ms`, `42 s`, `12 min 30 s`, `277 h 46 min`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{} ms", d.as_millis()),
        1..60 => format!("{s} s"),
        60..3600 if s.is_multiple_of(60) => format!("{} min", s / 60),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ if s.is_multiple_of(3600) => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_range_in_its_own_words() {
        let s = Duration::from_secs;
        assert_eq!(duration(Duration::from_millis(300)), "300 ms");
        assert_eq!(duration(s(42)), "42 s");
        assert_eq!(duration(s(600)), "10 min");
        assert_eq!(duration(s(750)), "12 min 30 s");
        assert_eq!(duration(s(7200)), "2 h");
        assert_eq!(duration(s(1_000_000)), "277 h 46 min");
    }
}
