//! Path -> `Endpoint` plus its path parameters, derived from the endpoints' own templates: a
//! route exists exactly when an `Endpoint` defines it.

use openai_access_actors::endpoint::Endpoint;
use std::borrow::Cow;
use std::sync::OnceLock;

/// Up to three path parameters, in template order (unused ones are empty).
pub(crate) type Params<'a> = [&'a str; 3];

/// An endpoint, its method and its template's segments (`None` for a `{param}`).
type Row = (Endpoint, &'static str, Vec<Option<&'static str>>);

/// Every endpoint's row, built once.
fn table() -> &'static [Row] {
    static TABLE: OnceLock<Vec<Row>> = OnceLock::new();
    TABLE.get_or_init(|| {
        Endpoint::ALL
            .iter()
            .map(|e| {
                let segs = e
                    .path_template()
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| (!s.starts_with('{')).then_some(s))
                    .collect();
                (*e, e.method(), segs)
            })
            .collect()
    })
}

/// The path after `/v1/`, split on `/` and percent-decoded; `None` for a segment that is
/// empty, `.`, `..` or not UTF-8 once decoded (no route takes one).
pub(crate) fn segments(path: &str) -> Vec<Option<Cow<'_, str>>> {
    path.split('/')
        .map(|raw| {
            let s = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .ok()?;
            (!s.is_empty() && s != "." && s != ".." && !s.contains('/')).then_some(s)
        })
        .collect()
}

/// Routes `segs` (the decoded path after `/v1`) for `method`.
pub(crate) fn route<'a>(method: &str, segs: &[&'a str]) -> Option<(Endpoint, Params<'a>)> {
    table().iter().find_map(|(e, m, tpl)| {
        if *m != method || tpl.len() != segs.len() {
            return None;
        }
        let mut params = ["", "", ""];
        let mut n = 0;
        for (t, s) in tpl.iter().zip(segs) {
            match t {
                Some(literal) if literal != s => return None,
                Some(_) => {}
                None => {
                    *params.get_mut(n)? = s;
                    n += 1;
                }
            }
        }
        Some((*e, params))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every endpoint's own template routes back to it.
    #[test]
    fn every_template_routes_to_its_endpoint() {
        for e in Endpoint::ALL {
            let segs: Vec<&str> = e
                .path_template()
                .split('/')
                .filter(|s| !s.is_empty())
                .collect();
            let routed = route(e.method(), &segs).map(|(ep, _)| ep);
            assert_eq!(routed, Some(*e), "{}", e.template());
        }
        assert_eq!(
            route("DELETE", &["projects", "p", "users", "u", "roles", "r"]),
            Some((Endpoint::UnassignProjectUserRole, ["p", "u", "r"]))
        );
        assert_eq!(route("PATCH", &["organization", "users"]), None);
    }

    #[test]
    fn segments_are_decoded_and_navigation_routes_nowhere() {
        let ok: Vec<_> = segments("organization/users/user%2Dbob")
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(ok, ["organization", "users", "user-bob"]);
        for bad in [
            "organization/users/..",
            "organization/users/%2e%2E",
            "organization//users",
            "organization/users/.",
            "organization/users/a%2Fb",
        ] {
            assert!(segments(bad).iter().any(Option::is_none), "{bad}");
        }
    }
}
