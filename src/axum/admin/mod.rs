//! Admin pages for invitations, as a router to mount behind the application's own
//! authentication: list with filters, invite, detail, revoke, revoke by rule.

use core::fmt::Write as _;
use std::sync::Arc;

use ::axum::Router;
use ::axum::extract::{Extension, Form, Path, Query, State};
use ::axum::http::{HeaderMap, StatusCode};
use ::axum::response::Response;
use ::axum::routing::{get, post};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::error::{Error, ErrorKind};
use crate::invitation::{Invitation, InvitationId};
use crate::issuer::Issuer;
use crate::store::{
    CodeSpec, Cutoff, EventFilter, Events, IssuedInvitation, ListCursor, ListFilter,
    MAX_LIST_LIMIT, ShortCodes, Store, Visits,
};

mod activity;
mod funnel;
mod html;
mod pages;

use html::{escape, page};

/// Who is signed in to the admin pages, as your authentication names them: insert it as a
/// request extension in front of the router, and every revocation, rule, invitation and code
/// the pages make carries it as its events' actor (the audit trail's "by whom").
///
/// ```
/// use admit::axum::AdminActor;
///
/// async fn authenticate(
///     mut request: axum::extract::Request,
///     next: axum::middleware::Next,
/// ) -> axum::response::Response {
///     // … check the session, then:
///     request.extensions_mut().insert(AdminActor::new("admin:grace@acme.test"));
///     next.run(request).await
/// }
/// # let _ = authenticate;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminActor(String);

impl AdminActor {
    /// The signed-in admin's label (1 to 128 bytes, no control characters; a longer or
    /// broken label is refused when the pages write an event).
    pub fn new(label: impl Into<String>) -> AdminActor {
        AdminActor(label.into())
    }

    /// The label.
    pub fn label(&self) -> &str {
        &self.0
    }
}

/// How many invitations one page of the list shows.
pub const PAGE_SIZE: usize = 50;

/// The admin pages of a store, as an axum router: a list of recorded invitations with filters
/// (inviter, state) and pages; an invite form that shows the new link and its short code once;
/// a page per invitation (claims, uses, joiners, visits) with a revoke button; and revocation
/// by rule (everyone's, or one inviter's, issued before a time), after a confirmation step.
///
/// The router has **no authentication of its own**: nest it under your application's (a
/// session check, a reverse proxy's). Its pages work without JavaScript and load nothing from
/// anywhere; every value is escaped; every response forbids framing and caching. Every `POST`
/// must come from the origin of the join URL ([`is_same_origin`](super::is_same_origin)), so
/// another site cannot make an admin's browser revoke or mint: a strict origin check, the
/// CSRF defence that needs no token. Give your session cookie `SameSite=Strict` as well.
///
/// It works on every [`Store`]: what it lists is what [`Store::record_issued`] recorded (it
/// records what it mints), soonest expiry first, 50 to a page, as far as the list goes. A
/// state filter reads up to 10,000 invitations per page it shows and links on from where it
/// stopped. Expired invitations are listed under their own filter while the store still
/// remembers them (an hour after expiry by default).
///
/// # Examples
///
/// ```
/// use admit::axum::AdminUi;
/// use admit::store::MemoryStore;
/// use admit::{Issuer, SigningKey};
///
/// let issuer = Issuer::new(SigningKey::generate()?, "acme/invite")?;
/// let admin = AdminUi::new(MemoryStore::new(), issuer, "https://acme.test/join")?
///     .mounted_at("/admin");
/// let app: axum::Router = axum::Router::new().nest("/admin", admin.router());
/// // app.layer(your_authentication)
/// # let _ = app;
/// # Ok::<(), admit::Error>(())
/// ```
#[derive(Clone)]
pub struct AdminUi<S> {
    inner: Arc<Inner<S>>,
}

#[derive(Clone)]
struct Inner<S> {
    store: S,
    issuer: Issuer,
    join_url: String,
    origin: String,
    base: String,
    /// Webhook endpoints whose state the Activity page shows.
    endpoints: Vec<String>,
}

impl<S> core::fmt::Debug for AdminUi<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AdminUi")
            .field("join_url", &self.inner.join_url)
            .field("base", &self.inner.base)
            .finish_non_exhaustive()
    }
}

impl<S: Store + ShortCodes + Visits + Events + Clone + 'static> AdminUi<S> {
    /// Admin pages for `store`, minting with `issuer`. `join_url` is the public address of the
    /// application's join page (`https://acme.test/join`): new links point there, and its
    /// origin is the only one a `POST` may come from.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `join_url` is an `http` or `https` URL with a host.
    pub fn new(store: S, issuer: Issuer, join_url: &str) -> Result<AdminUi<S>, Error> {
        let origin = origin_of(join_url).ok_or(Error::InvalidArgument {
            name: "join_url",
            reason: "must be an http:// or https:// URL with a host",
        })?;
        Ok(AdminUi {
            inner: Arc::new(Inner {
                store,
                issuer,
                join_url: join_url.to_owned(),
                origin,
                base: String::new(),
                endpoints: Vec::new(),
            }),
        })
    }

    /// The path the router is nested at (`/admin`), for the links between its pages.
    pub fn mounted_at(self, path: &str) -> AdminUi<S> {
        self.with(|inner| inner.base = path.trim_end_matches('/').to_owned())
    }

    /// Shows these webhook endpoints (by the names their senders use) on the Activity page:
    /// delivered, failing or not, the last error, the worker delivering.
    #[cfg(feature = "webhooks")]
    pub fn webhook_endpoints<N: Into<String>>(
        self,
        names: impl IntoIterator<Item = N>,
    ) -> AdminUi<S> {
        self.with(|inner| inner.endpoints = names.into_iter().map(Into::into).collect())
    }

    /// These pages with one setting changed.
    fn with(self, change: impl FnOnce(&mut Inner<S>)) -> AdminUi<S> {
        let mut inner = (*self.inner).clone();
        change(&mut inner);
        AdminUi {
            inner: Arc::new(inner),
        }
    }

    /// The router: `GET /`, `GET /new`, `POST /invitations`, `GET /i/{id}`,
    /// `POST /i/{id}/revoke`, `GET /rules`, `POST /rules`, `GET /activity`, `GET /funnel`. It
    /// carries its own state, so it nests into a router of any state type.
    pub fn router<T: Clone + Send + Sync + 'static>(self) -> Router<T> {
        Router::new()
            .route("/", get(list::<S>))
            .route("/new", get(new_form::<S>))
            .route("/invitations", post(mint::<S>))
            .route("/i/{id}", get(detail::<S>))
            .route("/i/{id}/revoke", post(revoke::<S>))
            .route("/rules", get(rules_form::<S>).post(rule::<S>))
            .route("/activity", get(activity::activity::<S>))
            .route("/funnel", get(funnel::funnel::<S>))
            .with_state(self)
    }
}

/// `scheme://host[:port]` of an http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !host.contains('@')).then(|| format!("{scheme}://{host}"))
}

impl<S> Inner<S> {
    /// Whether a POST came from this application's own pages (see [`AdminUi`]).
    fn same_origin(&self, headers: &HeaderMap) -> bool {
        super::is_same_origin(headers, &self.origin)
    }

    /// The store, acting as the signed-in admin when the request names one.
    fn acting(&self, actor: Option<&AdminActor>) -> Result<S, Error>
    where
        S: Events + Clone,
    {
        match actor {
            Some(actor) => self.store.acting_as(actor.label()),
            None => Ok(self.store.clone()),
        }
    }

    fn page(&self, status: StatusCode, title: &str, body: &str) -> Response {
        page(&self.base, status, title, body)
    }

    fn cross_site(&self) -> Response {
        self.page(
            StatusCode::FORBIDDEN,
            "Refused: sent from another site",
            "<p>Admin forms are accepted only from this site's own pages.</p>",
        )
    }

    fn failed(&self, error: &Error) -> Response {
        let status = if error.kind() == ErrorKind::StoreFailure {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        self.page(
            status,
            "That did not work",
            &format!("<p>{}</p>", escape(&error.to_string())),
        )
    }
}

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
            StateFilter::Revoked => i.revoked_at.is_some(),
            StateFilter::RevokedByRule => i.revoked_by_rule.is_some(),
            StateFilter::Expired => i.is_expired(now),
        }
    }
}

/// How many invitations one request of the list reads at most, looking for a page of those
/// in one state; the page then links on from where it stopped.
pub(super) const SCAN_BUDGET: usize = 10 * MAX_LIST_LIMIT;

/// One page of the list: what it shows, where the next starts, and whether it stopped
/// searching before filling the page.
pub(super) struct ListPage {
    pub(super) shown: Vec<IssuedInvitation>,
    pub(super) next: Option<ListCursor>,
    pub(super) searched_out: bool,
}

/// Reads the store from `after` on, up to [`SCAN_BUDGET`] invitations, for a page of those
/// in `state`. Expired invitations come first in the store's order, so their filter stops at
/// the first live one.
async fn find_page<S: Store>(
    store: &S,
    inviter: Option<&str>,
    state: StateFilter,
    after: Option<ListCursor>,
    now: OffsetDateTime,
) -> Result<ListPage, Error> {
    let batch = if state == StateFilter::All {
        PAGE_SIZE + 1
    } else {
        MAX_LIST_LIMIT
    };
    let mut filter = ListFilter::new().limit(batch);
    if let Some(inviter) = inviter {
        filter = filter.inviter(inviter);
    }
    if state == StateFilter::Expired {
        filter = filter.include_expired();
    }
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
struct ListQuery {
    #[serde(default)]
    inviter: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    after: String,
}

async fn list<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    Query(q): Query<ListQuery>,
) -> Response {
    let ui = &ui.inner;
    let inviter = q.inviter.trim();
    let after = match q.after.trim() {
        "" => None,
        text => match text.parse::<ListCursor>() {
            Ok(cursor) => Some(cursor),
            Err(_) => {
                let body = format!(
                    "<p>This page link is not valid. <a href=\"{}\">Start again</a>.</p>",
                    escape(&html::home(&ui.base))
                );
                return ui.page(StatusCode::BAD_REQUEST, "Invitations", &body);
            }
        },
    };
    let now = OffsetDateTime::now_utc();
    let state = StateFilter::parse(&q.state);
    let inviter_filter = (!inviter.is_empty()).then_some(inviter);
    let found = match find_page(&ui.store, inviter_filter, state, after, now).await {
        Ok(found) => found,
        Err(e) => return ui.failed(&e),
    };
    let view = pages::ListView {
        inviter,
        state: &q.state,
        first: after.is_none(),
        page: &found,
    };
    let body = pages::list(&ui.base, &view, now);
    ui.page(StatusCode::OK, "Invitations", &body)
}

async fn new_form<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
) -> Response {
    ui.inner.page(
        StatusCode::OK,
        "Invite",
        &pages::invite_form(&ui.inner.base),
    )
}

#[derive(Deserialize)]
struct MintForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    max_uses: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    inviter: String,
    #[serde(default)]
    description: String,
}

/// The invitation a form describes, or what is wrong with it.
fn draft(form: &MintForm) -> Result<crate::invitation::InvitationBuilder, String> {
    let mut draft = Invitation::builder();
    let email = form.email.trim();
    if !email.is_empty() {
        draft = draft.email(email);
    }
    let max = form.max_uses.trim();
    if !max.is_empty() {
        match max.parse::<u32>() {
            Ok(n) if n >= 1 => draft = draft.max_uses(n),
            _ => return Err("Max uses must be a whole number, 1 or more.".into()),
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

async fn mint<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    actor: Option<Extension<AdminActor>>,
    headers: HeaderMap,
    Form(form): Form<MintForm>,
) -> Response {
    let ui = &ui.inner;
    if !ui.same_origin(&headers) {
        return ui.cross_site();
    }
    let store = match ui.acting(actor.as_ref().map(|a| &a.0)) {
        Ok(store) => store,
        Err(e) => return ui.failed(&e),
    };
    let invalid = |message: &str| {
        ui.page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invite",
            &format!(
                "<p role=\"alert\">{}</p>{}",
                escape(message),
                pages::invite_form(&ui.base)
            ),
        )
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
            _ => ui.failed(&e),
        };
    }
    let link = match token.url(&ui.join_url) {
        Ok(link) => link,
        Err(e) => return ui.failed(&e),
    };
    let code = store
        .create_code(token.as_str(), &CodeSpec::random())
        .await
        .ok();
    let body = pages::minted(
        &ui.base,
        token.invitation(),
        &link,
        code.as_deref(),
        OffsetDateTime::now_utc(),
    );
    ui.page(StatusCode::CREATED, "Invitation created", &body)
}

async fn detail<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    Path(id): Path<String>,
) -> Response {
    let ui = &ui.inner;
    let Ok(id) = id.parse::<InvitationId>() else {
        return ui.page(
            StatusCode::NOT_FOUND,
            "No such invitation",
            "<p>An invitation ID is 24 hexadecimal digits.</p>",
        );
    };
    let status = match ui.store.status(id).await {
        Ok(status) => status,
        Err(e) => return ui.failed(&e),
    };
    let visits = match ui.store.visits(id).await {
        Ok(visits) => visits,
        Err(e) => return ui.failed(&e),
    };
    let timeline = EventFilter::new().invitation(id).limit(MAX_LIST_LIMIT);
    let events = match ui.store.events(&timeline).await {
        Ok(events) => events,
        Err(e) => return ui.failed(&e),
    };
    let now = OffsetDateTime::now_utc();
    let mut body = pages::detail(&ui.base, &status, &visits, now);
    let _ = write!(body, "<h2>Timeline ({})</h2>", events.len());
    if events.is_empty() {
        body.push_str("<p class=\"muted\">No events kept for it.</p>");
    } else {
        body.push_str(&activity::table(&ui.base, &events, now, false));
    }
    ui.page(StatusCode::OK, &format!("Invitation {id}"), &body)
}

async fn revoke<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    actor: Option<Extension<AdminActor>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let ui = &ui.inner;
    if !ui.same_origin(&headers) {
        return ui.cross_site();
    }
    let store = match ui.acting(actor.as_ref().map(|a| &a.0)) {
        Ok(store) => store,
        Err(e) => return ui.failed(&e),
    };
    let Ok(id) = id.parse::<InvitationId>() else {
        return ui.page(StatusCode::NOT_FOUND, "No such invitation", "");
    };
    // No expiry passed: the mark is kept as long as the store keeps the invitation's state
    // (set from the invitation it recorded when minting), or forever.
    match store.revoke(id, None).await {
        Ok(newly) => {
            let mut body = String::new();
            let _ = write!(
                body,
                "<p>{} <a href=\"{b}/i/{id}\">{id}</a> no longer works.</p>\
                 <p><a href=\"{}\">Back to the list</a></p>",
                if newly {
                    "Revoked:"
                } else {
                    "Already revoked:"
                },
                escape(&html::home(&ui.base)),
                b = escape(&ui.base),
            );
            ui.page(StatusCode::OK, "Invitation revoked", &body)
        }
        Err(e) => ui.failed(&e),
    }
}

async fn rules_form<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
) -> Response {
    let ui = &ui.inner;
    let rules = match ui.store.revocation_rules().await {
        Ok(rules) => rules,
        Err(e) => return ui.failed(&e),
    };
    let body = pages::rules(&ui.base, &rules, OffsetDateTime::now_utc());
    ui.page(StatusCode::OK, "Revoke by rule", &body)
}

#[derive(Deserialize)]
struct RuleForm {
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

async fn rule<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    actor: Option<Extension<AdminActor>>,
    headers: HeaderMap,
    Form(form): Form<RuleForm>,
) -> Response {
    let ui = &ui.inner;
    if !ui.same_origin(&headers) {
        return ui.cross_site();
    }
    let store = match ui.acting(actor.as_ref().map(|a| &a.0)) {
        Ok(store) => store,
        Err(e) => return ui.failed(&e),
    };
    let inviter = Some(form.inviter.trim()).filter(|i| !i.is_empty());
    let now = OffsetDateTime::now_utc();
    if form.confirm != "yes" {
        let body = pages::confirm_rule(&ui.base, inviter, now);
        return ui.page(StatusCode::OK, "Confirm: revoke by rule", &body);
    }
    let before =
        form.before.trim().parse::<i64>().ok().and_then(|ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        });
    let Some(before) = before.filter(|b| *b <= now) else {
        return ui.page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Revoke by rule",
            "<p role=\"alert\">The confirmation was not complete. Start again.</p>",
        );
    };
    match store
        .revoke_issued_before(Cutoff::new(before), inviter)
        .await
    {
        Ok(rule) => ui.page(
            StatusCode::OK,
            "Rule in force",
            &format!(
                "<p>Revoked every invitation {}.</p><p><a href=\"{}\">Back to the list</a></p>",
                escape(&rule.to_string()),
                escape(&html::home(&ui.base))
            ),
        ),
        Err(e) => ui.failed(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_of_join_urls() {
        assert_eq!(
            origin_of("https://acme.test/join").as_deref(),
            Some("https://acme.test")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        for bad in [
            "acme.test/join",
            "javascript:alert(1)",
            "https://",
            "https://u@h/",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
    }
}
