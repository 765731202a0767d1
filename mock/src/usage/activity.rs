//! Who uses the API when: each project key's [`Activity`], in days counted back from the
//! mock's today, so the same preset shows the same story on any day it is served (an API-only
//! user active every day, a key that stopped, one silent for longer than any window).

use openai_access_actors::endpoint::Endpoint;
use serde::Serialize;

/// The usage types, as their endpoints, in the order the spec lists them.
pub const KINDS: [Endpoint; 10] = [
    Endpoint::UsageCompletions,
    Endpoint::UsageEmbeddings,
    Endpoint::UsageImages,
    Endpoint::UsageAudioSpeeches,
    Endpoint::UsageAudioTranscriptions,
    Endpoint::UsageModerations,
    Endpoint::UsageVectorStores,
    Endpoint::UsageCodeInterpreterSessions,
    Endpoint::UsageFileSearchCalls,
    Endpoint::UsageWebSearchCalls,
];

/// How one project key is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Activity {
    /// Not at all.
    #[default]
    Never,
    /// `per_day` completions every `every` days, from `since` days before today until `until`
    /// days before it (0: today included), and of the other types those whose bit is set in
    /// `kinds` (bit i: `KINDS[i]`).
    Days {
        since: u32,
        until: u32,
        every: u32,
        per_day: u64,
        kinds: u16,
    },
}

impl Activity {
    /// Every day up to today.
    pub const fn daily(per_day: u64, kinds: u16) -> Self {
        Activity::Days {
            since: 400,
            until: 0,
            every: 1,
            per_day,
            kinds,
        }
    }

    /// Every day from `since` days ago until `until` days ago.
    pub const fn between(since: u32, until: u32, per_day: u64) -> Self {
        Activity::Days {
            since,
            until,
            every: 1,
            per_day,
            kinds: 1,
        }
    }

    /// A generated key's, drawn from a hash of its id (not from the preset's generator, so
    /// the orgs the generator draws stay as they were): about a quarter daily, a tenth weekly,
    /// a tenth stopped 20–100 days ago, the rest unused.
    pub fn of_id(id: &str) -> Self {
        let h = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        let h = super::super::rng::SplitMix64::new(h).next_u64();
        let kinds = (h >> 16) as u16 | 1;
        let per_day = 3 + (h >> 40) % 60;
        match h % 20 {
            0..=4 => Activity::daily(per_day, kinds),
            5 | 6 => Activity::Days {
                since: 400,
                until: 0,
                every: 7,
                per_day,
                kinds,
            },
            7 | 8 => Activity::between(400, 20 + (h >> 32) as u32 % 80, per_day),
            _ => Activity::Never,
        }
    }

    /// Requests of usage type `kind` (an index into [`KINDS`]) on the day `ago` days before
    /// today. Today counts half a day's, whatever the hour: two syncs minutes apart agree.
    pub fn requests(self, kind: usize, ago: u32) -> u64 {
        let Activity::Days {
            since,
            until,
            every,
            per_day,
            kinds,
        } = self
        else {
            return 0;
        };
        if ago > since
            || ago < until
            || !ago.is_multiple_of(every.max(1))
            || kinds & (1 << kind) == 0
        {
            return 0;
        }
        let n = if kind == 0 { per_day } else { per_day / 4 + 1 };
        if ago == 0 { n.div_ceil(2) } else { n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_is_bounded_by_its_days_and_kinds() {
        let a = Activity::between(100, 40, 10);
        assert_eq!(a.requests(0, 39), 0, "stopped 40 days ago");
        assert_eq!(a.requests(0, 40), 10);
        assert_eq!(a.requests(0, 101), 0);
        assert_eq!(a.requests(1, 50), 0, "completions only");
        let d = Activity::daily(10, 0b11);
        assert_eq!(d.requests(0, 0), 5, "today: half a day");
        assert_eq!(d.requests(1, 3), 3);
        assert_eq!(Activity::Never.requests(0, 0), 0);
        assert_eq!(Activity::of_id("key_x"), Activity::of_id("key_x"));
        let drawn: Vec<Activity> = (0..200)
            .map(|i| Activity::of_id(&format!("key_{i}")))
            .collect();
        assert!(drawn.contains(&Activity::Never));
        assert!(drawn.iter().any(|a| a.requests(0, 1) > 0));
    }
}
