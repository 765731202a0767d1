//! One page type for both list envelopes (REFERENCE §3).
//!
//! Page-A: `{object, data, first_id, last_id, has_more}`, next page with `after=<last_id>`.
//! Page-B: `{object, data, has_more, next}`, next page with `after=<next>`.

pub use crate::endpoint::PageStyle;
use serde::{Deserialize, Deserializer};

/// A normalised page: the items, and the cursor of the next page when there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// The most items one page may hold: ten times the largest page the API serves (1,000), so a
/// quirky server that ignores `limit` is still read, while a hostile one cannot make a page of
/// millions of tiny items (64 requests in flight would multiply it).
pub(super) const MAX_ITEMS_PER_PAGE: usize = 10_000;

/// Starts the decoding error of a page with too many items (serde carries only the message).
pub(super) const TOO_MANY_ITEMS: &str = "too many items ";

/// What the wire carries, whichever envelope it is.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct RawPage<T> {
    /// Required: a page without its items (`"data": null`, or none) is malformed, not empty;
    /// read as empty, it would make a hollow server look like an empty org.
    #[serde(deserialize_with = "bounded_items")]
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: Option<bool>,
    #[serde(default)]
    pub last_id: Option<String>,
    #[serde(default)]
    pub next: Option<String>,
}

/// `data`: an array of at most [`MAX_ITEMS_PER_PAGE`] items, refused as it is read (not after
/// millions were built).
fn bounded_items<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Items<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Items<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of items")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
            while let Some(item) = seq.next_element()? {
                if items.len() == MAX_ITEMS_PER_PAGE {
                    return Err(serde::de::Error::custom(format!(
                        "{TOO_MANY_ITEMS}in one page: more than {MAX_ITEMS_PER_PAGE}"
                    )));
                }
                items.push(item);
            }
            Ok(items)
        }
    }
    d.deserialize_seq(Items(std::marker::PhantomData))
}

/// Why a page could not be normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CursorProblem {
    /// `has_more` is true but the envelope names no cursor to continue from.
    Missing,
}

impl<T> RawPage<T> {
    /// Normalises the envelope. Stops on `has_more=false`, or on `next=null` for Page-B; an
    /// empty page also stops (an endless run of empty pages would otherwise be possible).
    pub fn normalise(self, style: PageStyle) -> Result<Page<T>, CursorProblem> {
        let has_more = self.has_more.unwrap_or(false) && !self.data.is_empty();
        let next = if !has_more {
            None
        } else {
            let cursor = match style {
                PageStyle::A => self.last_id.or(self.next),
                PageStyle::B => self.next,
            };
            match cursor {
                Some(c) if !c.is_empty() => Some(c),
                // Page-B: a null `next` ends the list even when `has_more` says otherwise.
                _ if style == PageStyle::B => None,
                _ => return Err(CursorProblem::Missing),
            }
        };
        Ok(Page {
            items: self.data,
            next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_of_too_many_items_is_refused_while_it_is_read() {
        let many = format!(
            "{{\"data\":[{}],\"has_more\":false}}",
            vec!["{}"; MAX_ITEMS_PER_PAGE + 1].join(",")
        );
        let e = serde_json::from_str::<RawPage<serde_json::Value>>(&many)
            .err()
            .expect("refused");
        assert!(e.to_string().starts_with(TOO_MANY_ITEMS), "{e}");
        let enough = format!("{{\"data\":[{}]}}", vec!["1"; MAX_ITEMS_PER_PAGE].join(","));
        let page = serde_json::from_str::<RawPage<serde_json::Value>>(&enough).expect("read");
        assert_eq!(page.data.len(), MAX_ITEMS_PER_PAGE);
        // A page without its items is malformed, not empty: read as empty, a hollow server
        // would pass for an empty organization.
        for hollow in [r#"{"data":null}"#, r#"{"has_more":false}"#] {
            assert!(
                serde_json::from_str::<RawPage<serde_json::Value>>(hollow).is_err(),
                "{hollow}"
            );
        }
    }

    fn parse(
        v: serde_json::Value,
        style: PageStyle,
    ) -> Result<Page<serde_json::Value>, CursorProblem> {
        serde_json::from_value::<RawPage<serde_json::Value>>(v)
            .expect("valid envelope")
            .normalise(style)
    }

    #[test]
    fn page_a_follows_last_id() {
        let p = parse(
            json!({"object":"list","data":[1,2],"first_id":"a","last_id":"b","has_more":true}),
            PageStyle::A,
        );
        assert_eq!(p.expect("page").next.as_deref(), Some("b"));
    }

    #[test]
    fn page_b_follows_next_and_stops_on_null() {
        let more = parse(
            json!({"object":"list","data":[1],"has_more":true,"next":"c1"}),
            PageStyle::B,
        );
        assert_eq!(more.expect("page").next.as_deref(), Some("c1"));
        let end = parse(
            json!({"object":"list","data":[1],"has_more":true,"next":null}),
            PageStyle::B,
        );
        assert_eq!(end.expect("page").next, None);
    }

    #[test]
    fn page_a_without_cursor_is_an_error_not_a_loop() {
        let p = parse(json!({"data":[1],"has_more":true}), PageStyle::A);
        assert_eq!(p, Err(CursorProblem::Missing));
    }

    #[test]
    fn a_missing_object_and_unknown_fields_are_tolerated() {
        let p = parse(
            json!({"data":[],"has_more":false,"extra":{"x":1}}),
            PageStyle::B,
        )
        .expect("page");
        assert!(p.items.is_empty());
        assert_eq!(p.next, None);
    }
}
