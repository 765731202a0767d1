//! What to crawl after what: the sync's fan-out rules as plain data ([`rules::RULES`]) and the
//! state machine that applies them ([`FanOut`]). Pure: no actors, no I/O, no clock. The
//! coordinator feeds it what the crawlers found and sends what it returns to their crawlers;
//! the throttle's simulation feeds it what a simulated org's pages reveal and pages what it
//! returns. The same rules, once.
//!
//! | call       | when                                           | returns                              |
//! |------------|------------------------------------------------|--------------------------------------|
//! | `start`    | the sync starts                                | the user list, alone                 |
//! | `found`    | a page revealed a fact (`Work`)                | the lists it unlocks, each once      |
//! | `refused`  | the plan refused a list kind (group members)   | whether that is news                 |
//!
//! A gated list waits in the machine until its question is answered (users' org roles until
//! the org role list ends, project members' roles until their project's role list ends), so
//! facts may arrive in any order.
//!
//! | file      | holds                                                        |
//! |-----------|--------------------------------------------------------------|
//! | `list`    | [`ListRequest`]: a list's kind (its endpoint) and scope      |
//! | `rules`   | the table: which fact unlocks which lists, under which gate  |
//! | `machine` | [`FanOut`]: the table applied to facts as they arrive        |

mod list;
mod machine;
pub(crate) mod rules;

#[cfg(test)]
mod tests;

pub(crate) use list::{InProject, ListRequest, Org, Scope};
pub(crate) use machine::FanOut;
