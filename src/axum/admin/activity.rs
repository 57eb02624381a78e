//! The audit trail in the admin pages: the Activity page (the store's event log, filtered,
//! paged by cursor) and the timeline on each invitation's page.

use ::axum::extract::{Query, State};
use ::axum::http::StatusCode;
use ::axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use maud::{Markup, html};

use super::html::{Base, when};
use super::pages::query_escape;
use super::{AdminUi, PAGE_SIZE};
use crate::store::{Event, EventFilter, EventType, Events, ShortCodes, Store, Visits};

/// The filters of the Activity page.
#[derive(Deserialize, Default)]
pub(super) struct ActivityQuery {
    #[serde(default)]
    after: String,
    #[serde(default)]
    inviter: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    invitation: String,
}

/// `GET /activity`: what happened, to which invitation, by whom, when; oldest first from a
/// cursor, 50 to a page.
pub(super) async fn activity<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    base: Base,
    Query(q): Query<ActivityQuery>,
) -> Response {
    let ui = &ui.inner;
    let mut filter = EventFilter::new().limit(PAGE_SIZE);
    let mut problems = Vec::new();
    if let Some(after) = Some(q.after.trim()).filter(|a| !a.is_empty()) {
        match after.parse() {
            Ok(cursor) => filter = filter.after(cursor),
            Err(_) => problems.push("That page link is damaged: showing the first page."),
        }
    }
    let inviter = q.inviter.trim();
    if !inviter.is_empty() {
        filter = filter.inviter(inviter);
    }
    let kind = q.kind.trim();
    if !kind.is_empty() {
        match kind.parse::<EventType>() {
            Ok(kind) => filter = filter.types([kind]),
            Err(_) => problems.push("Unknown kind: showing every kind."),
        }
    }
    let invitation = q.invitation.trim();
    if !invitation.is_empty() {
        match invitation.parse() {
            Ok(id) => filter = filter.invitation(id),
            Err(_) => problems.push("An invitation ID is 24 hexadecimal digits."),
        }
    }
    let events = match ui.store.events(&filter).await {
        Ok(events) => events,
        Err(e) => return ui.failed(&base, &e),
    };
    let now = OffsetDateTime::now_utc();
    #[cfg(feature = "webhooks")]
    let hooks = if ui.endpoints.is_empty() {
        None
    } else {
        match endpoints(&ui.store, &ui.endpoints, now).await {
            Ok(table) => Some(table),
            Err(e) => return ui.failed(&base, &e),
        }
    };
    #[cfg(not(feature = "webhooks"))]
    let hooks: Option<Markup> = None;
    let next = (events.len() == PAGE_SIZE)
        .then(|| events.last())
        .flatten()
        .map(|last| {
            format!(
                "{}?after={}&inviter={}&kind={}&invitation={}",
                base.at("/activity"),
                last.cursor,
                query_escape(inviter),
                query_escape(kind),
                query_escape(invitation),
            )
        });
    let body = html! {
        @for problem in problems { p role="alert" { (problem) } }
        form.filters method="get" action=(base.at("/activity")) {
            label { "Inviter" input name="inviter" value=(inviter) maxlength="64"; }
            label { "Kind" select name="kind" {
                option value="" { "every kind" }
                @for k in EventType::ALL {
                    option value=(k.as_str()) selected[k.as_str() == kind] { (k.as_str()) }
                }
            } }
            label { "Invitation" input.id name="invitation" value=(invitation) maxlength="24"; }
            button { "Show" }
        }
        @if let Some(hooks) = hooks { (hooks) }
        @if events.is_empty() {
            p.muted { "Nothing happened here yet (or not since this page)." }
        } @else {
            (table(&base, &events, now, true))
        }
        @if let Some(next) = next { p { a href=(next) { "Next " (PAGE_SIZE) } } }
    };
    ui.page(&base, StatusCode::OK, "Activity", body)
}

/// Events as a table: when, what, which invitation (when `with_invitation`), inviter, by whom,
/// details.
pub(super) fn table(
    base: &Base,
    events: &[Event],
    now: OffsetDateTime,
    with_invitation: bool,
) -> Markup {
    html! {
        div.wide { table {
            thead { tr {
                th scope="col" { "When" } th scope="col" { "What" }
                @if with_invitation { th scope="col" { "Invitation" } }
                th scope="col" { "Inviter" } th scope="col" { "By" } th scope="col" { "Details" }
            } }
            tbody { @for e in events { tr {
                td { (when(e.at, now)) }
                td { (e.event_type().as_str()) }
                @if with_invitation {
                    @match e.invitation {
                        Some(id) => td.id { a href=(base.at(&format!("/i/{id}"))) { (id) } },
                        None => td.muted { "all matching" },
                    }
                }
                td.id { (e.inviter.as_deref().unwrap_or("")) }
                td.id { (e.actor.as_deref().unwrap_or("")) }
                td.id { (e.details(|t| when(t, now))) }
            } } }
        } }
    }
}

/// The webhook endpoints' state, as a table.
#[cfg(feature = "webhooks")]
async fn endpoints<S: Events>(
    store: &S,
    names: &[String],
    now: OffsetDateTime,
) -> Result<Markup, crate::Error> {
    let mut rows = Vec::with_capacity(names.len());
    for name in names {
        let status = crate::webhooks::endpoint_status(store, name).await?;
        let (state, delivered, error, worker) = match &status {
            None => (
                "nothing delivered yet".to_owned(),
                0,
                String::new(),
                String::new(),
            ),
            Some(s) => (
                match s.failing_since {
                    Some(since) => format!("FAILING since {}", when(since, now)),
                    None => "ok".to_owned(),
                },
                s.delivered,
                s.last_error.clone().unwrap_or_default(),
                s.worker.clone().unwrap_or_else(|| "none".to_owned()),
            ),
        };
        rows.push((name, state, delivered, error, worker));
    }
    Ok(html! {
        h2 { "Webhooks" }
        div.wide { table {
            thead { tr { th scope="col" { "Endpoint" } th scope="col" { "State" }
                th scope="col" { "Delivered" } th scope="col" { "Last error" } th scope="col" { "Worker" } } }
            tbody { @for (name, state, delivered, error, worker) in &rows {
                tr { td { (name) } td { (state) } td { (delivered) } td { (error) } td.id { (worker) } }
            } }
        } }
        h2 { "Events" }
    })
}
