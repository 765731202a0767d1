//! Invalid requests derived from the spec: bodies its request schema refuses (each checked to
//! be refused by the schema before the server is held to refusing it), and query parameters
//! outside their declared type, enum or range.

use super::http::Body;
use super::{Op, Spec};
use serde_json::{Value, json};

/// Values of other types, tried in order: the first one a property's schema refuses is its
/// wrong-type value.
fn other_types() -> [Value; 5] {
    [
        json!(12345),
        json!("not-the-right-type"),
        json!(true),
        json!({"unexpected": "object"}),
        json!(["unexpected", "array"]),
    ]
}

/// One change to the valid body: set (or add) the value at a JSON pointer, or remove a key.
enum Change {
    Set(String, Value),
    Remove(String),
}

fn apply(valid: &Value, change: &Change) -> Option<Value> {
    let mut v = valid.clone();
    let (ptr, new) = match change {
        Change::Set(p, n) => (p.as_str(), Some(n.clone())),
        Change::Remove(p) => (p.as_str(), None),
    };
    let (parent, key) = ptr.rsplit_once('/')?;
    let target = if parent.is_empty() {
        &mut v
    } else {
        v.pointer_mut(parent)?
    };
    let obj = target.as_object_mut()?;
    match new {
        Some(n) => {
            obj.insert(key.to_owned(), n);
        }
        None => {
            obj.remove(key)?;
        }
    }
    Some(v)
}

/// Every enum (a schema's own, or one of its `anyOf`/`oneOf` branches').
fn has_enum(spec: &Spec, s: &Value) -> bool {
    let s = spec.resolve(s);
    s.get("enum").is_some()
        || ["anyOf", "oneOf", "allOf"].iter().any(|k| {
            s.get(k)
                .and_then(Value::as_array)
                .is_some_and(|bs| bs.iter().any(|b| has_enum(spec, b)))
        })
}

/// The changes that should make the object at `ptr` (valid value `v`, schema `schema`)
/// invalid, labelled.
fn changes(spec: &Spec, schema: &Value, v: &Value, ptr: &str, out: &mut Vec<(String, Change)>) {
    let s = spec.resolve(schema);
    let Some(obj) = v.as_object() else { return };
    for r in s["required"].as_array().into_iter().flatten() {
        let Some(r) = r.as_str() else { continue };
        if obj.contains_key(r) {
            out.push((
                format!("missing required '{ptr}/{r}'"),
                Change::Remove(format!("{ptr}/{r}")),
            ));
        }
    }
    let Some(props) = s["properties"].as_object() else {
        return;
    };
    for (k, ps) in props {
        let p = format!("{ptr}/{k}");
        if let Some(wrong) = other_types().into_iter().find(|c| !spec.valid(ps, c)) {
            out.push((
                format!("wrong type for '{p}' ({wrong})"),
                Change::Set(p.clone(), wrong),
            ));
        }
        if !spec.valid(ps, &Value::Null) {
            out.push((
                format!("null for non-nullable '{p}'"),
                Change::Set(p.clone(), Value::Null),
            ));
        }
        let outside = json!("not_an_enum_value");
        if has_enum(spec, ps) && !spec.valid(ps, &outside) {
            out.push((
                format!("'{p}' outside its enum"),
                Change::Set(p.clone(), outside),
            ));
        }
        let r = spec.resolve(ps);
        if let Some(min) = r["minLength"].as_u64().filter(|m| *m > 0) {
            let short = "x".repeat(min as usize - 1);
            out.push((
                format!("'{p}' shorter than minLength {min}"),
                Change::Set(p.clone(), json!(short)),
            ));
        }
        if let Some(max) = r["maxLength"].as_u64() {
            out.push((
                format!("'{p}' longer than maxLength {max}"),
                Change::Set(p.clone(), json!("x".repeat(max as usize + 1))),
            ));
        }
        if let Some(min) = r["minimum"].as_i64() {
            out.push((
                format!("'{p}' below minimum {min}"),
                Change::Set(p.clone(), json!(min - 1)),
            ));
        }
        if let Some(max) = r["maximum"].as_i64() {
            out.push((
                format!("'{p}' above maximum {max}"),
                Change::Set(p.clone(), json!(max + 1)),
            ));
        }
        // Into objects and the first item of arrays the valid body holds.
        match obj.get(k) {
            Some(child @ Value::Object(_)) => changes(spec, r, child, &p, out),
            Some(Value::Array(items)) => {
                if let (Some(first), Some(item_schema)) = (items.first(), r.get("items")) {
                    changes(spec, item_schema, first, &format!("{p}/0"), out);
                }
            }
            _ => {}
        }
    }
}

/// `(label, body, acceptable statuses)` for every invalid body derived from `schema` and the
/// valid body `valid`. Each derived body is checked to be invalid against `schema`.
pub fn invalid_bodies(
    spec: &Spec,
    schema: &Value,
    valid: &Value,
    required: bool,
) -> Vec<(String, Body, &'static [u16])> {
    const BAD: &[u16] = &[400];
    let mut out: Vec<(String, Body, &'static [u16])> = Vec::new();
    let values: Vec<Value> = valid
        .as_object()
        .map(|o| o.values().cloned().collect())
        .unwrap_or_default();
    out.push((
        "JSON array body (the valid body's values in order) → 400".into(),
        Body::Json(Value::Array(values)),
        BAD,
    ));
    out.push((
        "valid JSON sent as Content-Type: text/plain → 400/415".into(),
        Body::Raw("text/plain", serde_json::to_vec(valid).expect("serialise")),
        &[400, 415],
    ));
    out.push((
        "malformed JSON → 400".into(),
        Body::Raw("application/json", b"{\"name\": ".to_vec()),
        BAD,
    ));
    if required {
        out.push(("no body (required) → 400".into(), Body::None, BAD));
    }
    let mut cs = Vec::new();
    changes(spec, schema, valid, "", &mut cs);
    for (label, change) in cs {
        let Some(bad) = apply(valid, &change) else {
            continue;
        };
        // Only what the spec itself refuses.
        if spec.valid(schema, &bad) {
            continue;
        }
        out.push((format!("{label} → 400"), Body::Json(bad), BAD));
    }
    out
}

/// `(label, query)` for query values outside a parameter's declared type, enum or range:
/// `limit` (bounds from its schema, else from its description's "between X and Y"), booleans,
/// enums.
pub fn invalid_queries(op: &Op<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in op.query_params() {
        let Some(name) = p["name"].as_str() else {
            continue;
        };
        let s = &p["schema"];
        match s["type"].as_str() {
            Some("integer") => {
                out.push((
                    format!("{name}=abc (not an integer) → 400"),
                    format!("{name}=abc"),
                ));
                let (mut min, mut max) = (s["minimum"].as_i64(), s["maximum"].as_i64());
                if min.is_none() && max.is_none() {
                    let d = p["description"].as_str().unwrap_or("");
                    if let Some((lo, hi)) = range_in(d) {
                        (min, max) = (Some(lo), Some(hi));
                    }
                }
                if let Some(min) = min {
                    out.push((
                        format!("{name}={} (below {min}) → 400", min - 1),
                        format!("{name}={}", min - 1),
                    ));
                }
                if let Some(max) = max {
                    out.push((
                        format!("{name}={} (above {max}) → 400", max + 1),
                        format!("{name}={}", max + 1),
                    ));
                }
            }
            Some("boolean") => {
                for v in ["1", "null", "yes"] {
                    out.push((
                        format!("{name}={v} (not a boolean) → 400"),
                        format!("{name}={v}"),
                    ));
                }
            }
            Some("string") if s.get("enum").is_some() => {
                out.push((
                    format!("{name}=sideways (outside its enum) → 400"),
                    format!("{name}=sideways"),
                ));
            }
            _ => {}
        }
    }
    out
}

/// `"… range between 1 and 100 …"` → (1, 100).
fn range_in(description: &str) -> Option<(i64, i64)> {
    let rest = &description[description.find("between ")? + "between ".len()..];
    let mut words = rest.split_whitespace();
    let lo = words.next()?.parse().ok()?;
    (words.next()? == "and").then_some(())?;
    let hi = words
        .next()?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Some((lo, hi))
}

#[test]
fn reads_ranges_from_descriptions() {
    assert_eq!(
        range_in(
            "A limit on the number of objects to be returned. Limit can range between 1 and 100, and the default is 20."
        ),
        Some((1, 100))
    );
    assert_eq!(range_in("Defaults to 20."), None);
}
