//! Query parsing and the two list envelopes (REFERENCE §3).

use super::error::ApiError;
use bytes::Bytes;
use openai_access_actors::api::PageStyle;
use openai_access_actors::endpoint::Endpoint;
use serde::Serialize;
use std::cell::RefCell;

/// The list parameters of one request, already validated for its endpoint.
#[derive(Clone, Debug, Default)]
pub(crate) struct ListQuery {
    pub limit: usize,
    pub after: Option<String>,
    pub desc: bool,
    pub include_archived: bool,
    pub owner_project_access: Option<String>,
    pub emails: Vec<String>,
    /// `group` or `tenant_group`, where an operation takes it.
    pub group_type: Option<String>,
    /// Start *at* `after` rather than after it: set when resuming a cursor whose own item is
    /// gone, from an item that followed it (see `handlers::read`).
    pub inclusive: bool,
    /// Filled by `take` when more follow: the page's last id (the next cursor) and the ids
    /// that follow it, where a later request can resume if that item is deleted before its
    /// cursor is used.
    pub followers: RefCell<Option<(String, Vec<String>)>>,
}

/// How many followers of a cursor are remembered: a resumed cursor fails only if all of
/// them are deleted too.
pub(crate) const FOLLOWERS: usize = 16;

impl ListQuery {
    /// Parses and bounds-checks `query` for list endpoint `ep`: Page-A limits are 1..=100
    /// (default 20); Page-B limits are 0..=max where 0 means the endpoint's default.
    pub(crate) fn parse(ep: Endpoint, query: Option<&str>) -> Result<ListQuery, ApiError> {
        let (style, max) = ep.list().unwrap_or((PageStyle::A, 100));
        let mut q = ListQuery {
            desc: ep == Endpoint::ListGroupUsers,
            ..ListQuery::default()
        };
        let mut limit: Option<i64> = None;
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*k {
                "limit" => {
                    limit = Some(v.parse::<i64>().map_err(|_| {
                        ApiError::bad_request(format!("Invalid 'limit': {v:?} is not an integer"))
                            .param("limit")
                    })?)
                }
                // An empty cursor is no cursor (a client that always sends the parameter).
                "after" => q.after = (!v.is_empty()).then(|| v.into_owned()),
                "order" => {
                    q.desc = match &*v {
                        "asc" => false,
                        "desc" => true,
                        _ => {
                            return Err(ApiError::bad_request(format!(
                                "Invalid 'order': {v:?}, expected 'asc' or 'desc'"
                            ))
                            .param("order"));
                        }
                    }
                }
                "include_archived" => {
                    // A boolean: anything else is refused, not read as false.
                    q.include_archived = match &*v {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(ApiError::bad_request(format!(
                                "Invalid 'include_archived': {v:?}, expected 'true' or 'false'"
                            ))
                            .param("include_archived"));
                        }
                    }
                }
                "owner_project_access" => q.owner_project_access = Some(v.into_owned()),
                "group_type" => {
                    q.group_type = match &*v {
                        "group" | "tenant_group" => Some(v.into_owned()),
                        _ => {
                            return Err(ApiError::bad_request(format!(
                                "Invalid 'group_type': {v:?}, expected 'group' or 'tenant_group'"
                            ))
                            .param("group_type"));
                        }
                    }
                }
                "emails" | "emails[]" => q.emails.push(v.into_owned()),
                _ => {}
            }
        }
        let (min, default) = match style {
            PageStyle::A => (1, 20),
            PageStyle::B => (0, default_limit(ep)),
        };
        q.limit = match limit {
            None => default,
            Some(l) if l < min || l > i64::from(max) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid 'limit': {l}, must be between {min} and {max}"
                ))
                .param("limit"));
            }
            Some(0) => default,
            Some(l) => l as usize,
        };
        Ok(q)
    }
}

/// REFERENCE §3 defaults; the assignment lists state none, so they get their maximum.
fn default_limit(ep: Endpoint) -> usize {
    match ep {
        Endpoint::ListGroups | Endpoint::ListGroupUsers => 100,
        Endpoint::ListProjectGroups => 20,
        _ => 1000,
    }
}

/// The code of `bad_cursor`, which `handlers::read` answers by resuming the cursor.
pub(crate) const CURSOR_NOT_FOUND: &str = "cursor_not_found";

pub(crate) fn bad_cursor(after: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Invalid 'after': no object with id {after:?} in this list"
    ))
    .param("after")
    .code(CURSOR_NOT_FOUND)
}

/// Up to `q.limit` items following the one whose id is `q.after` (or from the start; from
/// that item itself when `q.inclusive`), keeping only those `keep` accepts, and whether more
/// follow.
pub(crate) fn take<T>(
    mut items: impl Iterator<Item = T>,
    id: impl Fn(&T) -> &str,
    keep: impl Fn(&T) -> bool,
    q: &ListQuery,
) -> Result<(Vec<T>, bool), ApiError> {
    let mut first = None;
    if let Some(a) = q.after.as_deref() {
        loop {
            match items.next() {
                None => return Err(bad_cursor(a)),
                Some(x) if id(&x) == a => {
                    first = q.inclusive.then_some(x);
                    break;
                }
                Some(_) => {}
            }
        }
    }
    take_positioned(first.into_iter().chain(items), id, keep, q)
}

/// `take` for items that already start where the page does (the caller placed the cursor).
pub(crate) fn take_positioned<T>(
    items: impl Iterator<Item = T>,
    id: impl Fn(&T) -> &str,
    keep: impl Fn(&T) -> bool,
    q: &ListQuery,
) -> Result<(Vec<T>, bool), ApiError> {
    let mut out = Vec::with_capacity(q.limit.min(128));
    let mut items = items.filter(|x| keep(x));
    for x in items.by_ref() {
        if out.len() == q.limit {
            if let Some(last) = out.last() {
                let mut f = Vec::with_capacity(FOLLOWERS);
                f.push(id(&x).to_owned());
                f.extend(items.take(FOLLOWERS - 1).map(|x| id(&x).to_owned()));
                *q.followers.borrow_mut() = Some((id(last).to_owned(), f));
            }
            return Ok((out, true));
        }
        out.push(x);
    }
    Ok((out, false))
}

#[derive(Serialize)]
struct PageA<'a, T> {
    object: &'static str,
    data: &'a [T],
    first_id: Option<&'a str>,
    last_id: Option<&'a str>,
    has_more: bool,
}

#[derive(Serialize)]
struct PageB<'a, T> {
    object: &'static str,
    data: &'a [T],
    has_more: bool,
    next: Option<&'a str>,
}

pub(crate) fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<Bytes, ApiError> {
    serde_json::to_vec(v)
        .map(Bytes::from)
        .map_err(|_| ApiError::server(hyper::StatusCode::INTERNAL_SERVER_ERROR))
}

/// `{object:"list", data, first_id, last_id, has_more}`.
pub(crate) fn page_a<T: Serialize>(
    data: &[T],
    id: impl Fn(&T) -> &str,
    has_more: bool,
) -> Result<Bytes, ApiError> {
    to_json(&PageA {
        object: "list",
        data,
        first_id: data.first().map(&id),
        last_id: data.last().map(&id),
        has_more,
    })
}

/// `{object:"list", data, has_more, next}` with `next` = the last id when more follow.
pub(crate) fn page_b<T: Serialize>(
    data: &[T],
    id: impl Fn(&T) -> &str,
    has_more: bool,
) -> Result<Bytes, ApiError> {
    to_json(&PageB {
        object: "list",
        data,
        has_more,
        next: if has_more { data.last().map(&id) } else { None },
    })
}
