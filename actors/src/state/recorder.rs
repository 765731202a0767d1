//! `Recorder`: writes each completed list to the journal of the sync under way.
//!
//! | receives   | from                               | does                                  |
//! |------------|------------------------------------|---------------------------------------|
//! | `ListRead` | crawlers (read), coordinator (replayed from the last complete sync) | appends the record |
//! | `Flush`    | coordinator, before it hands over the finished sync | answers once all before it are written |
//!
//! One actor owns the journal file, so records never interleave. A failure to write is
//! logged once and recording stops: the sync itself goes on (the journal only saves time).

use super::ListRecord;
use super::files::Journal;
use actix::prelude::*;

/// A list completed (or was replayed from the last complete sync): record it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ListRead(pub ListRecord);

/// Answered once every record sent before it is written. Sent by the coordinator before it
/// hands over the finished sync, so the journal it leaves is complete.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Flush;

pub struct Recorder {
    journal: Option<Journal>,
    written: usize,
}

impl Recorder {
    pub fn new(journal: Journal) -> Self {
        Self {
            journal: Some(journal),
            written: 0,
        }
    }
}

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<ListRead> for Recorder {
    type Result = ();

    fn handle(&mut self, msg: ListRead, _: &mut Context<Self>) {
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        match journal.append(&msg.0) {
            Ok(()) => self.written += 1,
            Err(e) => {
                tracing::warn!(error = %e, written = self.written, "Cannot write the state journal; the sync goes on, but cannot be resumed from here.");
                self.journal = None;
            }
        }
    }
}

impl Handler<Flush> for Recorder {
    type Result = ();

    fn handle(&mut self, _: Flush, _: &mut Context<Self>) {}
}
