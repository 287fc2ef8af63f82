//! Product areas: the workspace's taxonomy. `/highlight areas` lists them with
//! counts; `/highlight areas add <name>` adds one; captures match areas
//! case-insensitively and suggest the closest ones when a name is unknown.

use crate::app::{AppState, Slack};
use crate::config::Config;
use crate::domain::{AreaName, AreaRef};
use crate::error::AppError;
use crate::permissions;
use crate::reply::thousands;
use crate::reply::Reply;
use crate::slack::mrkdwn::escape;
use crate::store::areas::{self, Area};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// The product areas a workspace starts with when `HIGHLIGHTS_DEFAULT_AREAS` is unset.
pub const BUILT_IN_AREAS: &[&str] = &[
    "onboarding",
    "chat",
    "email",
    "helpdesk",
    "automation",
    "integrations",
    "reporting",
    "billing",
    "mobile",
    "performance",
    "security",
    "other",
];

/// The area named `name` (case-insensitively), if any.
pub fn find_area<'a>(areas: &'a [Area], name: &str) -> Option<&'a Area> {
    let key = name.trim().to_lowercase();
    areas.iter().find(|a| a.key == key)
}

/// Up to three areas closest to `name`: prefix and substring matches first,
/// then by edit similarity.
pub fn closest_areas<'a>(areas: &'a [Area], name: &str) -> Vec<&'a Area> {
    let key = name.trim().to_lowercase();
    let mut scored: Vec<(f64, &Area)> = areas
        .iter()
        .map(|a| {
            let score = if a.key.starts_with(&key) || key.starts_with(&a.key) {
                2.0
            } else if a.key.contains(&key) || key.contains(&a.key) {
                1.5
            } else {
                strsim::jaro_winkler(&a.key, &key)
            };
            (score, a)
        })
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.key.cmp(&y.1.key)));
    scored.into_iter().take(3).map(|(_, a)| a).collect()
}

/// The message for an unknown area: the closest ones, or the whole list.
pub fn unknown_area_message(areas: &[Area], typed: &str) -> String {
    let close = closest_areas(areas, typed);
    let list = |v: Vec<&Area>| v.iter().map(|a| format!("`{}`", escape(&a.name))).collect::<Vec<_>>().join(", ");
    if close.is_empty() {
        format!(
            "There is no product area “{}”. Known areas: {}. Add it with `/highlight areas add {}`.",
            escape(typed),
            list(areas.iter().collect()),
            escape(typed)
        )
    } else {
        format!(
            "There is no product area “{}”. Did you mean {}? (Or add it with `/highlight areas add {}`.)",
            escape(typed),
            list(close),
            escape(typed)
        )
    }
}

/// `/highlight areas`: every area with its highlights and distinct customers.
pub async fn list(db: &Db, workspace: &WorkspaceId) -> Result<Reply, AppError> {
    let stats = areas::list_area_stats(db, workspace).await?;
    if stats.is_empty() {
        return Ok(Reply::ephemeral("No product areas yet. Add one with `/highlight areas add <name>`."));
    }
    let lines: Vec<String> = stats
        .iter()
        .map(|a| {
            let arr = if a.arr_cents > 0 { format!(", ${} ARR", thousands(a.arr_cents / 100)) } else { String::new() };
            format!(
                "• *{}*: {} highlight{}, {} customer{}{arr}",
                escape(&a.name),
                a.highlights,
                if a.highlights == 1 { "" } else { "s" },
                a.customers,
                if a.customers == 1 { "" } else { "s" }
            )
        })
        .collect();
    Ok(Reply::ephemeral(format!("*Product areas* (most customers first)\n{}", lines.join("\n"))))
}

/// `/highlight areas add <name>`: adds an area (a friendly no-op if it exists).
pub async fn add(state: &AppState, workspace: &WorkspaceId, user: &str, name: AreaName) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, user, "add product areas").await?;
    let existing = areas::list_areas(&state.db, workspace).await?;
    let name = name.as_str();
    if let Some(area) = find_area(&existing, name) {
        return Ok(Reply::ephemeral(format!("*{}* is already a product area. Nothing to do.", escape(&area.name))));
    }
    state.db.write(async |tx| areas::insert_area(tx, workspace, name, state.clock.now_ms()).await).await?;
    Ok(Reply::ephemeral(format!(
        "Added the product area *{}*. Capture with `/highlight <customer> | {} | <quote>`.",
        escape(name),
        escape(name)
    )))
}

/// `/highlight areas rename <old> to <new>`: the area keeps its highlights
/// under the new name.
pub async fn rename(
    db: &Db,
    config: &Config,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    old: &AreaRef,
    new: AreaName,
) -> Result<Reply, AppError> {
    let (old, new) = (old.as_str(), new.as_str());
    let all = areas::list_areas(db, workspace).await?;
    let Some(area) = find_area(&all, old) else {
        return Ok(Reply::ephemeral(unknown_area_message(&all, old)));
    };
    if let Some(other) = find_area(&all, new).filter(|a| a.id != area.id) {
        return Ok(Reply::ephemeral(format!(
            "*{}* already exists. To fold *{}* into it, use `/highlight areas merge {} into {}`.",
            escape(&other.name),
            escape(&area.name),
            escape(&area.name),
            escape(&other.name)
        )));
    }
    permissions::require_manager(config, slack, workspace, user, "rename product areas").await?;
    db.write(async |tx| areas::update_area_name(tx, workspace, area.id, new).await).await?;
    Ok(Reply::ephemeral(format!(
        "Renamed *{}* to *{}*; its highlights moved with it.",
        escape(&area.name),
        escape(new)
    )))
}

/// `/highlight areas merge <from> into <to>`: `from`'s highlights move to `to`
/// and `from` is removed.
pub async fn merge(
    db: &Db,
    config: &Config,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    from: &AreaRef,
    into: &AreaRef,
) -> Result<Reply, AppError> {
    let (from, into) = (from.as_str(), into.as_str());
    let all = areas::list_areas(db, workspace).await?;
    let (Some(from), Some(into)) = (find_area(&all, from), find_area(&all, into)) else {
        let missing = if find_area(&all, from).is_none() { from } else { into };
        return Ok(Reply::ephemeral(unknown_area_message(&all, missing)));
    };
    if from.id == into.id {
        return Ok(Reply::ephemeral("Those are the same area. Nothing to merge."));
    }
    permissions::require_manager(config, slack, workspace, user, "merge product areas").await?;
    let moved = db
        .write(async |tx| {
            crate::store::testers::update_testers_merged_area(tx, workspace, from.id, into.id).await?;
            areas::merge_areas(tx, workspace, from.id, into.id).await
        })
        .await?;
    Ok(Reply::ephemeral(format!(
        "Merged *{}* into *{}*: {moved} highlight{} moved.",
        escape(&from.name),
        escape(&into.name),
        if moved == 1 { "" } else { "s" }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn areas(names: &[&str]) -> Vec<Area> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| Area { id: i as i64, key: n.to_lowercase(), name: (*n).to_owned() })
            .collect()
    }

    #[test]
    fn areas_match_case_insensitively() {
        let all = areas(&["Chat", "billing"]);
        assert_eq!(find_area(&all, " CHAT ").map(|a| a.name.as_str()), Some("Chat"));
        assert!(find_area(&all, "chats").is_none());
    }

    #[test]
    fn the_closest_areas_are_suggested() {
        let all = areas(&["chat", "billing", "reporting", "integrations", "mobile"]);
        let names = |typed| closest_areas(&all, typed).iter().map(|a| a.name.clone()).collect::<Vec<_>>();
        assert_eq!(names("chta"), vec!["chat"]);
        assert_eq!(names("billng"), vec!["billing"]);
        assert_eq!(names("integration"), vec!["integrations"]);
        assert_eq!(names("report"), vec!["reporting"]);
        assert!(names("zzzzzz").is_empty());
    }
}
