//! The list page: one page of recorded invitations, searched and filtered.

use ::axum::extract::{Query, State};
use ::axum::http::StatusCode;
use ::axum::response::Response;
use maud::html;
use serde::Deserialize;
use time::OffsetDateTime;

use super::html::Base;
use super::{AdminUi, PAGE_SIZE, pages};
use crate::error::Error;
use crate::store::{
    Events, IssuedInvitation, ListCursor, ListFilter, MAX_LIST_LIMIT, ShortCodes, Store, Visits,
};

/// What the list can be filtered to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StateFilter {
    All,
    Active,
    UsedUp,
    Revoked,
    RevokedByRule,
    Expired,
}

impl StateFilter {
    fn parse(text: &str) -> StateFilter {
        match text {
            "active" => StateFilter::Active,
            "used_up" => StateFilter::UsedUp,
            "revoked" => StateFilter::Revoked,
            "revoked_by_rule" => StateFilter::RevokedByRule,
            "expired" => StateFilter::Expired,
            _ => StateFilter::All,
        }
    }

    fn admits(self, i: &IssuedInvitation, now: OffsetDateTime) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Active => !i.is_revoked() && !i.is_used_up(),
            StateFilter::UsedUp => !i.is_revoked() && i.is_used_up(),
            // By ID or by a rule: both no longer work.
            StateFilter::Revoked => i.is_revoked(),
            StateFilter::RevokedByRule => i.revoked_by_rule.is_some(),
            StateFilter::Expired => i.is_expired(now),
        }
    }
}

/// How many invitations one request of the list reads at most, looking for a page of those
/// that match; the page then links on from where it stopped.
pub(crate) const SCAN_BUDGET: usize = 10 * MAX_LIST_LIMIT;

/// One page of the list: what it shows, where the next starts, and whether it stopped
/// searching before filling the page.
pub(crate) struct ListPage {
    pub(crate) shown: Vec<IssuedInvitation>,
    pub(crate) next: Option<ListCursor>,
    pub(crate) searched_out: bool,
}

/// Reads the store from `after` on, up to [`SCAN_BUDGET`] invitations, for a page of those
/// `filter` lists (inviter, search, order) that are in `state`. Expired invitations come first
/// in the store's order, so their filter stops at the first live one.
async fn find_page<S: Store>(
    store: &S,
    filter: &ListFilter,
    state: StateFilter,
    after: Option<ListCursor>,
    now: OffsetDateTime,
) -> Result<ListPage, Error> {
    let batch = if state == StateFilter::All {
        PAGE_SIZE + 1
    } else {
        MAX_LIST_LIMIT
    };
    let mut filter = filter.clone().limit(batch);
    let mut cursor = after;
    let mut found: Vec<IssuedInvitation> = Vec::new();
    let mut scanned = 0;
    loop {
        if let Some(c) = cursor {
            filter = filter.after(c);
        }
        let got = store.list(&filter).await?;
        let ended = got.len() < batch;
        scanned += got.len();
        cursor = got.last().map(IssuedInvitation::cursor).or(cursor);
        for i in got {
            if state == StateFilter::Expired && !i.is_expired(now) {
                return Ok(finish(found, None));
            }
            if state.admits(&i, now) {
                found.push(i);
                if found.len() > PAGE_SIZE {
                    return Ok(finish(found, None));
                }
            }
        }
        if ended {
            return Ok(finish(found, None));
        }
        if scanned >= SCAN_BUDGET {
            return Ok(finish(found, cursor));
        }
    }
}

/// A page from what was found: the next page starts after the last shown when more were
/// found, or at `stopped` when the search ran out of budget.
fn finish(mut found: Vec<IssuedInvitation>, stopped: Option<ListCursor>) -> ListPage {
    if found.len() > PAGE_SIZE {
        found.truncate(PAGE_SIZE);
        let next = found.last().map(IssuedInvitation::cursor);
        return ListPage {
            shown: found,
            next,
            searched_out: false,
        };
    }
    ListPage {
        shown: found,
        next: stopped,
        searched_out: stopped.is_some(),
    }
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    inviter: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    after: String,
    /// `expiry`: soonest expiry first; anything else: newest first.
    #[serde(default)]
    order: String,
}

/// `GET /`: the list.
pub(super) async fn list<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    base: Base,
    Query(q): Query<ListQuery>,
) -> Response {
    let ui = &ui.inner;
    let inviter = q.inviter.trim();
    let after = match q.after.trim() {
        "" => None,
        text => match text.parse::<ListCursor>() {
            Ok(cursor) => Some(cursor),
            Err(_) => {
                let body = html! {
                    p { "This page link is not valid. " a href=(base.home()) { "Start again" } "." }
                };
                return ui.page(&base, StatusCode::BAD_REQUEST, "Invitations", body);
            }
        },
    };
    let now = OffsetDateTime::now_utc();
    let state = StateFilter::parse(&q.state);
    let inviter_filter = (!inviter.is_empty()).then_some(inviter);
    // Newest first unless asked otherwise; recently expired ones by their expiry.
    let newest = q.order != "expiry" && state != StateFilter::Expired;
    let mut filter = ListFilter::new().search(&q.q);
    if let Some(inviter) = inviter_filter {
        filter = filter.inviter(inviter);
    }
    if state == StateFilter::Expired {
        filter = filter.include_expired();
    } else if newest {
        filter = filter.newest_first();
    }
    let found = find_page(&ui.store, &filter, state, after, now).await;
    let found = match found {
        Ok(found) => found,
        Err(Error::InvalidArgument { name, .. }) => {
            let problem = if name == "search" {
                "A search is at most 320 bytes, without control characters."
            } else {
                "No inviter has that name (at most 64 bytes, no control characters)."
            };
            let body = html! {
                p role="alert" { (problem) }
                p { a href=(base.home()) { "Start again" } }
            };
            return ui.page(&base, StatusCode::BAD_REQUEST, "Invitations", body);
        }
        Err(e) => return ui.failed(&base, &e),
    };
    // The total the filters give (the state aside: that is judged as the pages are read).
    let total = match ui.store.count(&filter).await {
        Ok(total) => total,
        Err(e) => return ui.failed(&base, &e),
    };
    let view = pages::ListView {
        total,
        newest,
        inviter,
        search: q.q.trim(),
        state: &q.state,
        first: after.is_none(),
        page: &found,
    };
    let body = pages::list(&base, &view, now);
    ui.page(&base, StatusCode::OK, "Invitations", body)
}
