//! `Recorder`: stores each list a sync reads, the moment it completes.
//!
//! | receives   | from                                        | does                                     | replies |
//! |------------|---------------------------------------------|------------------------------------------|---------|
//! | `ListRead` | crawlers                                    | stores the list (newest read wins)       | —       |
//! | `Flush`    | coordinator, before it hands over the sync  | —                                        | what was stored, once all before it are |
//!
//! One actor per sync, its messages in order, so a list is stored before the sync is said to
//! be done. A failure to store is logged once and storing stops: the sync itself goes on
//! (what is stored only saves time), but it cannot be resumed from here.

use super::ListRecord;
use super::db::{StateDir, Stored};
use actix::prelude::*;

/// A list completed: store it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ListRead(pub ListRecord);

/// Answered once every list sent before it is stored.
#[derive(Message)]
#[rtype(result = "Recorded")]
pub struct Flush;

/// What a sync stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    pub lists: usize,
    /// Lists whose content differed from the copy stored before (or that were new).
    pub changed: usize,
    /// Lists dropped because a copy read later was already stored.
    pub older: usize,
    /// Storing failed (and stopped).
    pub failed: bool,
}

pub struct Recorder {
    state: StateDir,
    run: u64,
    recorded: Recorded,
}

impl Recorder {
    pub fn new(state: StateDir, run: u64) -> Self {
        Self {
            state,
            run,
            recorded: Recorded::default(),
        }
    }
}

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<ListRead> for Recorder {
    type Result = ();

    fn handle(&mut self, msg: ListRead, _: &mut Context<Self>) {
        if self.recorded.failed {
            return;
        }
        match self.state.put_list(self.run, &msg.0, super::unix_now()) {
            Ok(stored) => {
                self.recorded.lists += 1;
                match stored {
                    Stored::Changed => self.recorded.changed += 1,
                    Stored::Older => self.recorded.older += 1,
                    Stored::Same => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, stored = self.recorded.lists, "Cannot store a list in the state; the sync goes on, but cannot be resumed from here.");
                self.recorded.failed = true;
            }
        }
    }
}

impl Handler<Flush> for Recorder {
    type Result = MessageResult<Flush>;

    fn handle(&mut self, _: Flush, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.recorded.clone())
    }
}
