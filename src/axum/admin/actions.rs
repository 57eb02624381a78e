//! The pages that act: the invite form and what it mints, an invitation's page and its
//! revocation (after a confirmation), and revocation by rule (after a confirmation that counts
//! what it will revoke).

use ::axum::extract::{Extension, Form, Path, State};
use ::axum::http::StatusCode;
use ::axum::response::Response;
use maud::html;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::html::Base;
use super::pages::{self, InviteFields, RuleReach};
use super::{AdminActor, AdminUi, SCAN_BUDGET, activity};
use crate::error::{Error, ErrorKind};
use crate::invitation::{Invitation, InvitationBuilder, InvitationId};
use crate::store::{
    CodeSpec, Cutoff, EventFilter, Events, ListFilter, MAX_LIST_LIMIT, ShortCodes, Store, Visits,
};

/// `GET /new`: the invite form, for a one-time link by default.
pub(super) async fn new_form<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    base: Base,
) -> Response {
    let body = pages::invite_form(&base, &InviteFields::fresh());
    ui.inner.page(&base, StatusCode::OK, "Invite", body)
}

/// The invitation a form describes, or what is wrong with it.
fn draft(form: &InviteFields) -> Result<InvitationBuilder, String> {
    let mut draft = Invitation::builder();
    let email = form.email.trim();
    if !email.is_empty() {
        draft = draft.email(email);
    }
    let max = form.max_uses.trim();
    if !max.is_empty() {
        match max.parse::<u32>() {
            Ok(n) if n >= 1 => draft = draft.max_uses(n),
            _ => {
                return Err(
                    "Max uses must be a whole number, 1 or more (or empty for unlimited).".into(),
                );
            }
        }
    }
    let days = form.days.trim();
    if !days.is_empty() {
        match days.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => draft = draft.ttl(Duration::days(n)),
            _ => return Err("Expires in: a whole number of days, 1 to 3650.".into()),
        }
    }
    let inviter = form.inviter.trim();
    if !inviter.is_empty() {
        draft = draft.inviter(inviter);
    }
    Ok(draft)
}

/// `POST /invitations`: mints, records, makes a short code, and shows the link once.
pub(super) async fn mint<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    base: Base,
    actor: Option<Extension<AdminActor>>,
    Form(form): Form<InviteFields>,
) -> Response {
    let ui = &ui.inner;
    let store = match ui.acting(actor.as_ref().map(|a| &a.0)) {
        Ok(store) => store,
        Err(e) => return ui.failed(&base, &e),
    };
    // What was typed stays in the form, with the problem above it.
    let invalid = |message: &str| {
        let body = html! {
            p role="alert" { (message) }
            (pages::invite_form(&base, &form))
        };
        ui.page(&base, StatusCode::UNPROCESSABLE_ENTITY, "Invite", body)
    };
    let draft = match draft(&form) {
        Ok(draft) => draft,
        Err(message) => return invalid(&message),
    };
    let token = match ui.issuer.mint(draft) {
        Ok(token) => token,
        Err(e) => return invalid(&e.to_string()),
    };
    let description = Some(form.description.trim()).filter(|d| !d.is_empty());
    if let Err(e) = store.record_issued(token.invitation(), description).await {
        return match e.kind() {
            ErrorKind::InvalidInput => invalid(&e.to_string()),
            _ => ui.failed(&base, &e),
        };
    }
    let link = match token.url(&ui.join_url) {
        Ok(link) => link,
        Err(e) => return ui.failed(&base, &e),
    };
    let code = store
        .create_code(token.as_str(), &CodeSpec::random())
        .await
        .ok();
    let body = pages::minted(
        &base,
        token.invitation(),
        &link,
        code.as_deref(),
        OffsetDateTime::now_utc(),
    );
    ui.page(&base, StatusCode::CREATED, "Invitation created", body)
}

fn no_such(ui: &super::Inner<impl Sized>, base: &Base) -> Response {
    ui.page(
        base,
        StatusCode::NOT_FOUND,
        "No such invitation",
        html! { p { "An invitation ID is 24 hexadecimal digits." } },
    )
}

/// `GET /i/{id}`: one invitation, its joiners, visits and timeline.
pub(super) async fn detail<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    base: Base,
    Path(id): Path<String>,
) -> Response {
    let ui = &ui.inner;
    let Ok(id) = id.parse::<InvitationId>() else {
        return no_such(ui, &base);
    };
    let status = match ui.store.status(id).await {
        Ok(status) => status,
        Err(e) => return ui.failed(&base, &e),
    };
    let visits = match ui.store.visits(id).await {
        Ok(visits) => visits,
        Err(e) => return ui.failed(&base, &e),
    };
    let timeline = EventFilter::new().invitation(id).limit(MAX_LIST_LIMIT);
    let events = match ui.store.events(&timeline).await {
        Ok(events) => events,
        Err(e) => return ui.failed(&base, &e),
    };
    let labels = match &ui.labels {
        Some(labels) if !status.joiners.is_empty() => {
            labels(status.joiners.iter().map(|j| j.joiner.clone()).collect()).await
        }
        _ => Vec::new(),
    };
    let now = OffsetDateTime::now_utc();
    let body = html! {
        (pages::detail(&base, &status, &labels, &visits, now))
        h2 { "Timeline (" (events.len()) ")" }
        @if events.is_empty() {
            p.muted { "No events kept for it." }
        } @else {
            (activity::table(&base, &events, now, false))
        }
    };
    ui.page(&base, StatusCode::OK, &format!("Invitation {id}"), body)
}

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    /// `yes` once the admin has seen the confirmation page.
    #[serde(default)]
    confirm: String,
}

/// `POST /i/{id}/revoke`: a confirmation page first; with `confirm=yes`, the revocation.
pub(super) async fn revoke<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    base: Base,
    actor: Option<Extension<AdminActor>>,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let ui = &ui.inner;
    let Ok(id) = id.parse::<InvitationId>() else {
        return no_such(ui, &base);
    };
    let store = match ui.acting(actor.as_ref().map(|a| &a.0)) {
        Ok(store) => store,
        Err(e) => return ui.failed(&base, &e),
    };
    if form.confirm != "yes" {
        let status = match ui.store.status(id).await {
            Ok(status) => status,
            Err(e) => return ui.failed(&base, &e),
        };
        let body = pages::confirm_revoke(&base, &status, OffsetDateTime::now_utc());
        return ui.page(
            &base,
            StatusCode::OK,
            "Confirm: revoke this invitation",
            body,
        );
    }
    // No expiry passed: the mark is kept as long as the store keeps the invitation's state
    // (set from the invitation it recorded when minting), or forever.
    match store.revoke(id, None).await {
        Ok(newly) => {
            let body = html! {
                p { @if newly { "Revoked: " } @else { "Already revoked: " }
                    a.id href=(base.at(&format!("/i/{id}"))) { (id) } " no longer works." }
                p { a href=(base.home()) { "Back to the list" } }
            };
            ui.page(&base, StatusCode::OK, "Invitation revoked", body)
        }
        Err(e) => ui.failed(&base, &e),
    }
}

/// `GET /rules`: the rules in force and the form for a new one.
pub(super) async fn rules_form<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    base: Base,
) -> Response {
    let ui = &ui.inner;
    let rules = match ui.store.revocation_rules().await {
        Ok(rules) => rules,
        Err(e) => return ui.failed(&base, &e),
    };
    let body = pages::rules(&base, &rules, OffsetDateTime::now_utc());
    ui.page(&base, StatusCode::OK, "Revoke by rule", body)
}

#[derive(Deserialize)]
pub(super) struct RuleForm {
    #[serde(default)]
    inviter: String,
    /// `yes` once the admin has seen the confirmation page.
    #[serde(default)]
    confirm: String,
    /// The cut-off the confirmation page showed (Unix milliseconds), so the rule is the one
    /// confirmed.
    #[serde(default)]
    before: String,
}

/// How many recorded, still active invitations a rule for `inviter` issued before `now`
/// would revoke, reading at most [`SCAN_BUDGET`] of them.
async fn reach<S: Store>(
    store: &S,
    inviter: Option<&str>,
    now: OffsetDateTime,
) -> Result<RuleReach, Error> {
    let mut filter = ListFilter::new().limit(MAX_LIST_LIMIT);
    if let Some(inviter) = inviter {
        filter = filter.inviter(inviter);
    }
    let (mut active, mut scanned) = (0, 0);
    loop {
        let got = store.list(&filter).await?;
        scanned += got.len();
        active += got
            .iter()
            .filter(|i| !i.is_revoked() && !i.is_used_up() && i.issued_at < now)
            .count();
        match got.last() {
            Some(last) if got.len() == MAX_LIST_LIMIT => {
                if scanned >= SCAN_BUDGET {
                    return Ok(RuleReach { active, more: true });
                }
                filter = filter.after(last.cursor());
            }
            _ => {
                return Ok(RuleReach {
                    active,
                    more: false,
                });
            }
        }
    }
}

/// `POST /rules`: the confirmation step (with a count); with `confirm=yes` and the cut-off it
/// showed, the rule.
pub(super) async fn rule<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    base: Base,
    actor: Option<Extension<AdminActor>>,
    Form(form): Form<RuleForm>,
) -> Response {
    let ui = &ui.inner;
    let store = match ui.acting(actor.as_ref().map(|a| &a.0)) {
        Ok(store) => store,
        Err(e) => return ui.failed(&base, &e),
    };
    let inviter = Some(form.inviter.trim()).filter(|i| !i.is_empty());
    let now = OffsetDateTime::now_utc();
    if form.confirm != "yes" {
        let reach = match reach(&ui.store, inviter, now).await {
            Ok(reach) => reach,
            Err(e) => return ui.failed(&base, &e),
        };
        let body = pages::confirm_rule(&base, inviter, &reach, now);
        return ui.page(&base, StatusCode::OK, "Confirm: revoke by rule", body);
    }
    let before =
        form.before.trim().parse::<i64>().ok().and_then(|ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        });
    let Some(before) = before.filter(|b| *b <= now) else {
        let body = html! {
            p role="alert" { "The confirmation was not complete. "
                a href=(base.at("/rules")) { "Start again" } "." }
        };
        return ui.page(
            &base,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Revoke by rule",
            body,
        );
    };
    match store
        .revoke_issued_before(Cutoff::new(before), inviter)
        .await
    {
        Ok(rule) => {
            let body = html! {
                p { "Revoked every invitation " (rule) "." }
                p { a href=(base.home()) { "Back to the list" } }
            };
            ui.page(&base, StatusCode::OK, "Rule in force", body)
        }
        Err(e) => ui.failed(&base, &e),
    }
}
