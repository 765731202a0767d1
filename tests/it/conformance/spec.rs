//! The spec document: its operations, `$ref` resolution, and JSON Schema 2020-12 validators
//! whose `#/components/...` references resolve against the spec's own `components`.

use super::http::Resp;
use jsonschema::Validator;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The spec, and a compiled validator per schema.
pub struct Spec {
    pub doc: Value,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

/// One operation of the spec.
pub struct Op<'a> {
    /// Upper case.
    pub method: String,
    pub path: &'a str,
    pub id: &'a str,
    pub op: &'a Value,
}

impl Spec {
    pub fn load() -> Spec {
        Self::load_file("openapi-admin.yaml")
    }

    /// `spec/<file>`, a copy in this repository (the Admin API's, or the Usage API's).
    pub fn load_file(file: &str) -> Spec {
        let path = format!("{}/spec/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        let doc: Value = serde_yaml::from_str(&text).expect("the spec is YAML");
        Spec {
            doc,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// Every operation, as `paths` × methods.
    pub fn ops(&self) -> Vec<Op<'_>> {
        let paths = self.doc["paths"].as_object().expect("paths");
        let mut ops = Vec::new();
        for (path, item) in paths {
            for m in METHODS {
                if let Some(op) = item.get(*m) {
                    ops.push(Op {
                        method: m.to_ascii_uppercase(),
                        path,
                        id: op["operationId"].as_str().unwrap_or("?"),
                        op,
                    });
                }
            }
        }
        ops
    }

    pub fn op(&self, method: &str, path: &str) -> Op<'_> {
        self.ops()
            .into_iter()
            .find(|o| o.method == method && o.path == path)
            .unwrap_or_else(|| panic!("the spec has no {method} {path}"))
    }

    /// Follows `$ref`s to `#/components/...` until a schema that is not one.
    pub fn resolve<'a>(&'a self, mut s: &'a Value) -> &'a Value {
        while let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let Some(ptr) = r.strip_prefix('#') else {
                break;
            };
            match self.doc.pointer(ptr) {
                Some(t) => s = t,
                None => break,
            }
        }
        s
    }

    /// A 2020-12 validator for `schema`, whose `$ref: '#/components/…'` resolve against the
    /// spec's `components` (carried inside the root document it compiles).
    pub fn validator(&self, schema: &Value) -> Arc<Validator> {
        let key = schema.to_string();
        let mut cache = self.validators.lock().expect("validator cache");
        if let Some(v) = cache.get(&key) {
            return v.clone();
        }
        let mut root = match schema {
            Value::Object(o) => o.clone(),
            Value::Bool(b) => {
                let mut o = serde_json::Map::new();
                if !b {
                    o.insert("not".into(), json!({}));
                }
                o
            }
            other => panic!("not a schema: {other}"),
        };
        root.insert("components".into(), self.doc["components"].clone());
        let v = Arc::new(
            jsonschema::draft202012::options()
                .build(&Value::Object(root))
                .unwrap_or_else(|e| panic!("schema {key} does not compile: {e}")),
        );
        cache.insert(key, v.clone());
        v
    }

    /// The first few reasons `instance` does not satisfy `schema` (empty: it does).
    pub fn errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let v = self.validator(schema);
        v.iter_errors(instance)
            .take(4)
            .map(|e| {
                let at = e.instance_path().to_string();
                let msg: String = e.to_string().chars().take(200).collect();
                format!("at '{at}': {msg}")
            })
            .collect()
    }

    pub fn valid(&self, schema: &Value, instance: &Value) -> bool {
        self.validator(schema).is_valid(instance)
    }

    pub fn named(name: &str) -> Value {
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    /// Why `r` is not a 4xx-with-`status` answer carrying the `ErrorResponse` envelope.
    pub fn error_envelope_problem(&self, r: &Resp, statuses: &[u16]) -> Option<String> {
        if !statuses.contains(&r.status) {
            let want: Vec<String> = statuses.iter().map(u16::to_string).collect();
            return Some(format!("want {}, got {}", want.join(" or "), r.brief()));
        }
        let Some(j) = r.json() else {
            return Some(format!("body is not JSON: {}", r.brief()));
        };
        let errs = self.errors(&Self::named("ErrorResponse"), &j);
        (!errs.is_empty()).then(|| {
            format!(
                "{} but not an ErrorResponse: {} (body {})",
                r.status,
                errs.join("; "),
                r.brief()
            )
        })
    }
}

impl Op<'_> {
    pub fn label(&self) -> String {
        format!("{} {} [{}]", self.method, self.path, self.id)
    }

    pub fn mutates(&self) -> bool {
        self.method != "GET"
    }

    /// `{name}`s of the path, in order.
    pub fn path_params(&self) -> Vec<&str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect()
    }

    /// The path with `ids` in place of its parameters.
    pub fn fill(&self, ids: &[&str]) -> String {
        let mut it = ids.iter();
        self.path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    it.next().copied().unwrap_or("MISSING")
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    pub fn request_schema(&self) -> Option<&Value> {
        self.op
            .pointer("/requestBody/content/application~1json/schema")
    }

    pub fn body_required(&self) -> bool {
        self.op.pointer("/requestBody/required") == Some(&Value::Bool(true))
    }

    /// The JSON schema of the `code` response, if the operation declares one.
    pub fn response_schema(&self, spec: &Spec, code: &str) -> Option<Value> {
        let r = spec.resolve(self.op.pointer(&format!("/responses/{code}"))?);
        r.pointer("/content/application~1json/schema").cloned()
    }

    pub fn declares(&self, code: &str) -> bool {
        self.op.pointer(&format!("/responses/{code}")).is_some()
    }

    pub fn query_params(&self) -> Vec<&Value> {
        self.op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter(|p| p["in"] == "query").collect())
            .unwrap_or_default()
    }

    pub fn query_param(&self, name: &str) -> Option<&Value> {
        self.query_params().into_iter().find(|p| p["name"] == name)
    }

    pub fn is_list(&self) -> bool {
        self.method == "GET" && self.query_param("limit").is_some()
    }
}
