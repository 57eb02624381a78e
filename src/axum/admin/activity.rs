//! The audit trail in the admin pages: the Activity page (the store's event log, filtered,
//! paged by cursor) and the timeline on each invitation's page.

use core::fmt::Write as _;

use ::axum::extract::{Query, State};
use ::axum::http::StatusCode;
use ::axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::html::{escape, when};
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
        Err(e) => return ui.failed(&e),
    };
    let now = OffsetDateTime::now_utc();
    let b = escape(&ui.base);
    let mut out = String::new();
    for problem in problems {
        let _ = write!(out, "<p role=\"alert\">{}</p>", escape(problem));
    }
    let _ = write!(
        out,
        "<form method=\"get\" action=\"{b}/activity\" class=\"filters\">\
         <label>Inviter <input name=\"inviter\" value=\"{}\" maxlength=\"64\"></label>\
         <label>Kind <select name=\"kind\">{}</select></label>\
         <label>Invitation <input name=\"invitation\" value=\"{}\" maxlength=\"24\" \
         class=\"id\"></label><button>Show</button></form>",
        escape(inviter),
        kind_options(kind),
        escape(invitation),
    );
    #[cfg(feature = "webhooks")]
    if !ui.endpoints.is_empty() {
        match endpoints(&ui.store, &ui.endpoints, now).await {
            Ok(table) => out.push_str(&table),
            Err(e) => return ui.failed(&e),
        }
    }
    if events.is_empty() {
        out.push_str("<p class=\"muted\">Nothing happened here yet (or not since this page).</p>");
    } else {
        out.push_str(&table(&ui.base, &events, now, true));
    }
    if events.len() == PAGE_SIZE
        && let Some(last) = events.last()
    {
        let _ = write!(
            out,
            "<p><a href=\"{b}/activity?after={}&amp;inviter={}&amp;kind={}&amp;invitation={}\">\
                 Next {PAGE_SIZE}</a></p>",
            last.cursor,
            escape(&query_value(inviter)),
            escape(&query_value(kind)),
            escape(&query_value(invitation)),
        );
    }
    ui.page(StatusCode::OK, "Activity", &out)
}

/// `value` for a query string: letters, digits and `-._~` as they are, the rest %-encoded.
pub(super) fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn kind_options(selected: &str) -> String {
    let mut out = String::from("<option value=\"\">every kind</option>");
    for kind in EventType::ALL {
        let name = kind.as_str();
        let chosen = if name == selected { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{name}\"{chosen}>{name}</option>");
    }
    out
}

/// Events as a table: when, what, which invitation (when `with_invitation`), inviter, by whom,
/// details.
pub(super) fn table(
    base: &str,
    events: &[Event],
    now: OffsetDateTime,
    with_invitation: bool,
) -> String {
    let b = escape(base);
    let mut out =
        String::from("<table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">What</th>");
    if with_invitation {
        out.push_str("<th scope=\"col\">Invitation</th>");
    }
    out.push_str(
        "<th scope=\"col\">Inviter</th><th scope=\"col\">By</th><th scope=\"col\">Details</th>\
         </tr></thead><tbody>",
    );
    for e in events {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            when(e.at, now),
            e.event_type()
        );
        if with_invitation {
            match e.invitation {
                Some(id) => {
                    let _ = write!(out, "<td class=\"id\"><a href=\"{b}/i/{id}\">{id}</a></td>");
                }
                None => out.push_str("<td class=\"muted\">all matching</td>"),
            }
        }
        let _ = write!(
            out,
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(e.inviter.as_deref().unwrap_or("")),
            escape(e.actor.as_deref().unwrap_or("")),
            escape(&e.details(|t| when(t, now))),
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// The webhook endpoints' state, as a table.
#[cfg(feature = "webhooks")]
async fn endpoints<S: Events>(
    store: &S,
    names: &[String],
    now: OffsetDateTime,
) -> Result<String, crate::Error> {
    let mut out = String::from(
        "<h2>Webhooks</h2><table><thead><tr><th scope=\"col\">Endpoint</th>\
         <th scope=\"col\">State</th><th scope=\"col\">Delivered</th>\
         <th scope=\"col\">Last error</th><th scope=\"col\">Worker</th></tr></thead><tbody>",
    );
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
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{delivered}</td><td>{}</td><td class=\"id\">{}</td></tr>",
            escape(name),
            escape(&state),
            escape(&error),
            escape(&worker),
        );
    }
    out.push_str("</tbody></table><h2>Events</h2>");
    Ok(out)
}
