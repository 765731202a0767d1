//! A write, described once. Every mutation of the API takes the same steps in the same order,
//! and answers the same way when one fails; a [`Write`] names what each step is for one
//! endpoint, and [`Write::run`] takes them:
//!
//! 1. `body`: the request body is read, with what can be checked of it alone (400);
//! 2. `path`: what the path names must exist (404 naming it; 400 for an archived project);
//! 3. `resolve`: what the body names is looked up in the store and checked (404, 400);
//! 4. `duplicate`: what it would add is already held (409, with this message);
//! 5. `apply`: the store changes, and the answer is written.
//!
//! Beside the steps, an entry holds the facts the pipeline needs of a mutation: the scope a
//! read-only key lacks for it (403) and the audit entries it leaves once it succeeded. Each
//! resource's file holds its entries; `handlers::WRITES` lists them all.

use super::Cx;
use super::audit::Written;
use crate::audit::Event;
use crate::error::ApiError;
use crate::routes::Params;
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::endpoint::Endpoint;

/// One mutation: `P` is what its path finds, `B` its body, `T` what the body resolves to.
pub(super) struct Write<P, B, T> {
    pub ep: Endpoint,
    /// The scope a read-only key lacks for it.
    pub scope: &'static str,
    pub body: fn(&[u8]) -> Result<B, ApiError>,
    pub path: fn(&Store, Params) -> Result<P, ApiError>,
    pub resolve: fn(&Store, Params, &P, B) -> Result<T, ApiError>,
    /// Why what would be added is already held, if it is.
    pub duplicate: fn(&Store, Params, &P, &T) -> Option<String>,
    pub apply: fn(&mut Store, Params, P, T, &mut Cx) -> Result<Bytes, ApiError>,
    pub audit: fn(&Written) -> Vec<Event>,
}

impl<P, B, T> Write<P, B, T> {
    pub(super) fn run(
        &self,
        store: &mut Store,
        p: Params,
        body: &[u8],
        cx: &mut Cx,
    ) -> Result<Bytes, ApiError> {
        let b = (self.body)(body)?;
        let at = (self.path)(store, p)?;
        let new = (self.resolve)(store, p, &at, b)?;
        if let Some(message) = (self.duplicate)(store, p, &at, &new) {
            return Err(ApiError::conflict(message));
        }
        (self.apply)(store, p, at, new, cx)
    }
}

/// A write whatever its types, as the table holds it.
pub(super) trait Mutation: Sync {
    fn endpoint(&self) -> Endpoint;
    fn scope(&self) -> &'static str;
    fn run(
        &self,
        store: &mut Store,
        p: Params,
        body: &[u8],
        cx: &mut Cx,
    ) -> Result<Bytes, ApiError>;
    fn audit(&self, w: &Written) -> Vec<Event>;
}

impl<P, B, T> Mutation for Write<P, B, T> {
    fn endpoint(&self) -> Endpoint {
        self.ep
    }

    fn scope(&self) -> &'static str {
        self.scope
    }

    fn run(
        &self,
        store: &mut Store,
        p: Params,
        body: &[u8],
        cx: &mut Cx,
    ) -> Result<Bytes, ApiError> {
        Write::run(self, store, p, body, cx)
    }

    fn audit(&self, w: &Written) -> Vec<Event> {
        (self.audit)(w)
    }
}

/// `body` of a write that takes none: whatever is sent is ignored.
pub(super) fn no_body(_: &[u8]) -> Result<(), ApiError> {
    Ok(())
}

/// `resolve` of a write whose body names nothing further in the store.
pub(super) fn as_given<P, B>(_: &Store, _: Params, _: &P, b: B) -> Result<B, ApiError> {
    Ok(b)
}

/// `duplicate` of a write that adds nothing that could already be held.
pub(super) fn never<P, T>(_: &Store, _: Params, _: &P, _: &T) -> Option<String> {
    None
}

/// `audit` of a write the org's log does not show (group membership: tenant-scoped in the
/// real API, see `crate::audit`).
pub(super) fn unlogged(_: &Written) -> Vec<Event> {
    Vec::new()
}
