//! Who meets an unknown limit: one endpoint at a time.
//!
//! An endpoint goes where nothing proves it safe in two situations: before any 429, beyond the
//! frontier every endpoint's passes prove (it *explores*), and after 429s that only bracket
//! the rate, above the bracket's floor (it *probes*). Either way a 429 may follow, and its
//! lesson (shared by every endpoint under the one-policy hypothesis) makes the others' trip
//! needless. So both roles are one office, held by one endpoint:
//!
//! - it is free when nobody holds it, or its holder has no request waiting (it wants nothing
//!   more beyond what is known), or its holder met the limit (`release`);
//! - an endpoint with far more work ([`far_busier`]) asks the holder to yield: the holder sends
//!   nothing more beyond, and once what it sent there is answered (its 429s, if any, teach
//!   everyone) the asker takes over. A yield lapses if the asker stops waiting.
//!
//! Pure: what it knows of the endpoints comes in as [`Load`]s.

use crate::endpoint::Endpoint;

/// An endpoint's requests: waiting or in flight (its work now), in flight, and in flight
/// beyond what is known (exploring).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Load {
    pub work: usize,
    pub waiting: usize,
    pub in_flight: usize,
    pub exploring: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Holder {
    endpoint: Endpoint,
    /// A far busier endpoint asked for the office: this one sends nothing more beyond.
    yielding_to: Option<Endpoint>,
}

#[derive(Debug, Default)]
pub(super) struct Election {
    holder: Option<Holder>,
}

impl Election {
    /// Whether `endpoint` holds the office now, taking it if it may.
    pub(super) fn claim(&mut self, endpoint: Endpoint, load: impl Fn(Endpoint) -> Load) -> bool {
        let Some(mut h) = self.holder else {
            return self.take(endpoint);
        };
        if h.endpoint == endpoint {
            // Yielding, until the asker stops waiting (what is proven grew enough for it).
            return h.yielding_to.is_none_or(|asker| load(asker).waiting == 0) && {
                h.yielding_to = None;
                self.holder = Some(h);
                true
            };
        }
        let theirs = load(h.endpoint);
        if theirs.waiting == 0 {
            // Nothing more to send beyond: the office is free.
            return self.take(endpoint);
        }
        let mine = load(endpoint);
        if h.yielding_to == Some(endpoint) || far_busier(mine.work, theirs.work) {
            h.yielding_to = Some(endpoint);
            self.holder = Some(h);
            // Two endpoints beyond at once could meet the limit blind twice: wait for the
            // holder's requests beyond to be answered.
            return theirs.exploring == 0 && self.take(endpoint);
        }
        false
    }

    fn take(&mut self, endpoint: Endpoint) -> bool {
        if self.holder.is_none_or(|h| h.endpoint != endpoint) {
            tracing::debug!(
                endpoint = endpoint.template(),
                "Meeting an unknown limit first."
            );
        }
        self.holder = Some(Holder {
            endpoint,
            yielding_to: None,
        });
        true
    }

    /// `endpoint` met the limit, or knows its pace: the office is free.
    pub(super) fn release(&mut self, endpoint: Endpoint) {
        if self.holder.is_some_and(|h| h.endpoint == endpoint) {
            self.holder = None;
        }
    }

    pub(super) fn holder(&self) -> Option<Endpoint> {
        self.holder.map(|h| h.endpoint)
    }
}

/// Whether an endpoint with `mine` requests of work should take the office from one with
/// `theirs`: by a wide margin only, or two busy endpoints would pass it back and forth. (A list
/// paged one request at a time has a work of one.)
pub(super) fn far_busier(mine: usize, theirs: usize) -> bool {
    mine > 2 * theirs + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Endpoint = Endpoint::ListProjectUsers;
    const B: Endpoint = Endpoint::ListProjectServiceAccounts;

    fn load(work: usize, exploring: usize) -> Load {
        Load {
            work,
            waiting: work.saturating_sub(1),
            in_flight: 1,
            exploring,
        }
    }

    #[test]
    fn one_holder_until_it_wants_nothing_more() {
        let mut e = Election::default();
        let same = |_: Endpoint| load(5, 1);
        assert!(e.claim(A, same));
        assert!(!e.claim(B, same), "as busy as the holder: waits");
        assert!(e.claim(A, same), "the holder keeps it");
        let idle = |x: Endpoint| if x == A { Load::default() } else { load(5, 0) };
        assert!(e.claim(B, idle), "an idle holder gives way");
        assert_eq!(e.holder(), Some(B));
    }

    #[test]
    fn a_far_busier_endpoint_takes_over_once_the_holders_requests_beyond_are_answered() {
        let mut e = Election::default();
        let busier = |exploring| {
            move |x: Endpoint| {
                if x == B {
                    load(64, 0)
                } else {
                    load(2, exploring)
                }
            }
        };
        assert!(e.claim(A, busier(1)));
        assert!(
            !e.claim(B, busier(1)),
            "A still has a request beyond in flight"
        );
        assert!(!e.claim(A, busier(1)), "A yields");
        assert!(e.claim(B, busier(0)), "answered: B takes over");
        assert!(!e.claim(A, |_| load(5, 0)));
    }

    #[test]
    fn a_yield_lapses_when_the_asker_stops_waiting() {
        let mut e = Election::default();
        assert!(e.claim(A, |x| if x == B { load(64, 0) } else { load(2, 1) }));
        assert!(!e.claim(B, |x| if x == B { load(64, 0) } else { load(2, 1) }));
        let gone = |x: Endpoint| if x == B { Load::default() } else { load(2, 1) };
        assert!(
            e.claim(A, gone),
            "B got what it needed within what is known"
        );
        e.release(A);
        assert_eq!(e.holder(), None);
    }
}
