//! Cursors that outlive their item. A list's cursor is the id of the last item of a page; a
//! client that deletes that item (or someone else does) before asking for the next page must
//! still get the rest of the list, as a real cursor API gives it. Each page that has more
//! remembers the ids that followed its last item; a cursor whose item is gone resumes at the
//! first of those still there.

use super::paging::FOLLOWERS;
use openai_access_actors::endpoint::Endpoint;
use std::collections::HashMap;

/// Pages served with more to follow, by list and cursor.
#[derive(Default)]
pub struct Cursors {
    followers: HashMap<String, Vec<String>>,
}

/// Beyond this many remembered cursors (about 2 KB each at most), the oldest are forgotten
/// all at once: a client pages a list within minutes, and the memory stays bounded.
const CAPACITY: usize = 100_000;

fn key(ep: Endpoint, p: [&str; 3], cursor: &str) -> String {
    format!("{}\n{}\n{}\n{}\n{cursor}", ep.template(), p[0], p[1], p[2])
}

impl Cursors {
    pub fn remember(&mut self, ep: Endpoint, p: [&str; 3], cursor: &str, followers: Vec<String>) {
        if self.followers.len() >= CAPACITY {
            self.followers.clear();
        }
        debug_assert!(followers.len() <= FOLLOWERS);
        self.followers.insert(key(ep, p, cursor), followers);
    }

    /// The ids that followed `cursor` in this list when it was handed out (none if it never
    /// was).
    pub fn followers(&self, ep: Endpoint, p: [&str; 3], cursor: &str) -> Vec<String> {
        self.followers
            .get(&key(ep, p, cursor))
            .cloned()
            .unwrap_or_default()
    }
}
