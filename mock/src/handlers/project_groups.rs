//! Groups' access to a project: which groups, with which role they were added.

use super::audit::{assignment, group_unassigned_in_project};
use super::common::*;
use super::path;
use super::write::{Write, as_given, never, no_body};
use crate::error::ApiError;
use crate::paging::{ListQuery, page_b, take, to_json};
use crate::routes::Params;
use crate::state::*;
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::api::models::*;
use openai_access_actors::endpoint::Endpoint;

pub(super) fn list_project_groups(
    store: &Store,
    p: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let items = ordered(pr.groups.iter().collect(), q.desc);
    let (data, more) = take(items.into_iter(), |g| g.group_id.as_str(), |_| true, q)?;
    let data: Vec<ProjectGroup> = data
        .into_iter()
        .map(|g| project_group(store, pr, g))
        .collect();
    page_b(&data, |g| g.group_id.as_str(), more)
}

/// A group's access to a project, as the API shows it.
fn project_group(store: &Store, pr: &ProjectState, g: &ProjectGroupGrant) -> ProjectGroup {
    let grp = store.group(g.group_id.as_str()).map(|s| &s.group);
    ProjectGroup {
        object: Some("project.group".into()),
        project_id: pr.id().clone(),
        group_id: g.group_id.clone(),
        group_name: grp.and_then(|g| g.name.clone()),
        group_type: grp.and_then(|g| g.group_type.clone()),
        created_at: Some(g.created_at),
    }
}

pub(super) fn retrieve_project_group(
    store: &Store,
    p: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let g = pr
        .groups
        .iter()
        .find(|g| g.group_id.as_str() == p[1])
        .ok_or_else(|| ApiError::not_found("project group", p[1]))?;
    let out = project_group(store, pr, g);
    // `group_type` (default `group`) names which kind of group the id is looked up as.
    let want = q.group_type.as_deref().unwrap_or("group");
    if out.group_type.as_deref().unwrap_or("group") != want {
        return Err(ApiError::not_found("project group", p[1]));
    }
    to_json(&out)
}

const GROUPS: &str = "api.organization.projects.groups.write";

/// `POST /organization/projects/{project_id}/groups`: a group's access, with a project role.
pub(super) static ADD: Write<usize, ProjectGroupCreate, (usize, Role)> = Write {
    ep: Endpoint::AddProjectGroup,
    scope: GROUPS,
    body: parse,
    path: path::project,
    resolve: |store, _, &pi, b| {
        let g = group_index(store, b.group_id.as_str())?;
        Ok((g, project_role_by_id(store, pi, b.role.as_str())?))
    },
    duplicate: |store, p, &pi, (g, _)| {
        let group = &store.org.groups[*g].group.id;
        store.org.projects[pi]
            .grant(group)
            .is_some()
            .then(|| format!("Group {group} already has access to project {}", p[0]))
    },
    apply: |store, _, pi, (g, role), cx| {
        let now = cx.now;
        let group = store.org.groups[g].group.clone();
        let pr = &mut store.org.projects[pi];
        pr.groups.push(ProjectGroupGrant {
            group_id: group.id.clone(),
            role_id: role.id,
            created_at: now,
            roles: Vec::new(),
        });
        to_json(&ProjectGroup {
            object: Some("project.group".into()),
            project_id: pr.id().clone(),
            group_id: group.id,
            group_name: group.name,
            group_type: group.group_type,
            created_at: Some(now),
        })
    },
    audit: |w| {
        vec![
            assignment(
                "role.assignment.created",
                &w.body("group_id"),
                "group",
                w.p[0],
                "project",
            )
            .in_project(w.p[0]),
        ]
    },
};

/// `DELETE /organization/projects/{project_id}/groups/{group_id}`.
pub(super) static REMOVE: Write<usize, (), ()> = Write {
    ep: Endpoint::RemoveProjectGroup,
    scope: GROUPS,
    body: no_body,
    path: path::project,
    resolve: as_given,
    duplicate: never,
    apply: |store, p, pi, (), _| {
        let pr = &mut store.org.projects[pi];
        let before = pr.groups.len();
        pr.groups.retain(|g| g.group_id.as_str() != p[1]);
        if pr.groups.len() == before {
            return Err(ApiError::not_found("project group", p[1]));
        }
        deleted("project.group.deleted", None)
    },
    audit: group_unassigned_in_project,
};
