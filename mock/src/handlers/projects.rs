//! Projects and what they hold: members, service accounts, API keys, groups.

use super::common::*;
use super::path;
use super::write::{Write, as_given, never, no_body};
use crate::audit::Event;
use crate::error::ApiError;
use crate::paging::{ListQuery, bad_cursor, page_a, take_positioned, to_json};
use crate::presets::build;
use crate::routes::Params;
use crate::state::ProjectState;
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::endpoint::Endpoint;
use serde_json::json;

pub(super) fn list_projects(store: &Store, _p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;

    let start = match q.after.as_deref() {
        None => 0,
        Some(a) => store.project_pos(a).ok_or_else(|| bad_cursor(a))? + usize::from(!q.inclusive),
    };
    let keep = |p: &&ProjectState| q.include_archived || !p.is_archived();
    let (data, more) = take_positioned(org.projects[start..].iter(), |p| p.id().as_str(), keep, q)?;
    let data: Vec<_> = data.into_iter().map(|p| &p.project).collect();
    page_a(&data, |p| p.id.as_str(), more)
}

pub(super) fn retrieve_project(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    to_json(&project(store, p[0])?.project)
}

/// `PublicProjectResidency`.
const RESIDENCIES: &[&str] = &[
    "GLOBAL",
    "US_STORAGE_PROCESSING",
    "EU_STORAGE_PROCESSING",
    "JP_STORAGE",
    "KR_STORAGE",
    "CA_STORAGE",
    "SG_STORAGE",
    "IN_STORAGE",
    "AU_STORAGE",
    "GB_STORAGE",
    "AE_STORAGE",
    "AE_STORAGE_PROCESSING",
];

/// `ProjectCreateRequest`: the mock keeps only the name (residency and external keys change
/// where data lives, not who can reach it), but checks both as the spec types them.
#[derive(serde::Deserialize)]
pub(super) struct ProjectCreate {
    name: String,
    #[serde(default)]
    residency: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    external_key_id: Option<String>,
}

const PROJECTS: &str = "api.organization.projects.write";

/// `POST /organization/projects`.
pub(super) static CREATE: Write<(), ProjectCreate, ProjectCreate> = Write {
    ep: Endpoint::CreateProject,
    scope: PROJECTS,
    body: |body| {
        let b: ProjectCreate = parse(body)?;
        if let Some(r) = &b.residency {
            check_enum(r, RESIDENCIES, "residency")?;
        }
        Ok(b)
    },
    path: path::org,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, (), b, cx| {
        let id = cx.new_id("proj_");
        let p = build::project(&id, &b.name, cx.now, None);
        let out = to_json(&p.project);
        store.push_project(p);
        out
    },
    audit: |w| {
        let (id, name) = (w.reply("id"), w.body("name"));
        vec![
            Event::new(
                "project.created",
                json!({"id": id, "data": {"name": name, "title": name}}),
            )
            .in_project(&id),
        ]
    },
};

/// `ProjectUpdateRequest`: both fields optional and nullable (null changes nothing).
#[derive(serde::Deserialize)]
pub(super) struct ProjectUpdate {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    external_key_id: Option<String>,
}

/// `POST /organization/projects/{project_id}`: renames a project; an archived one is
/// read-only (a business rule the spec leaves open, with the 400 it declares for this
/// operation).
pub(super) static MODIFY: Write<usize, ProjectUpdate, ProjectUpdate> = Write {
    ep: Endpoint::ModifyProject,
    scope: PROJECTS,
    body: parse,
    path: path::active_project,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, pi, b, _| {
        let pr = &mut store.org.projects[pi].project;
        if let Some(n) = b.name {
            pr.name = Some(n);
        }
        to_json(pr)
    },
    audit: |w| {
        vec![
            Event::new(
                "project.updated",
                json!({"id": w.p[0], "changes_requested": {"title": w.reply("name")}}),
            )
            .in_project(w.p[0]),
        ]
    },
};

/// `POST /organization/projects/{project_id}/archive`: final and idempotent, an archived
/// project answers as it is.
pub(super) static ARCHIVE: Write<usize, (), ()> = Write {
    ep: Endpoint::ArchiveProject,
    scope: PROJECTS,
    body: no_body,
    path: path::project,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, pi, (), cx| {
        let pr = &mut store.org.projects[pi].project;
        if pr.archived_at.is_none() {
            pr.status = Some("archived".into());
            pr.archived_at = Some(cx.now);
        }
        to_json(pr)
    },
    audit: |w| vec![Event::new("project.archived", json!({"id": w.p[0]})).in_project(w.p[0])],
};
