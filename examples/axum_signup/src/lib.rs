//! A small sign-up service with invitations, on axum.
//!
//! ```text
//! cargo run -p axum-signup -- --init                                 # the first run: makes the key
//! cargo run -p axum-signup                                           # memory store
//! ADMIT_STORE_URL=sqlite://admit.db cargo run -p axum-signup --features sqlite -- --init
//! ADMIT_STORE_URL=postgres://localhost/app cargo run -p axum-signup --features postgres -- --init
//! ADMIT_STORE_URL=redis://127.0.0.1/ cargo run -p axum-signup --features redis
//! ```
//!
//! - `GET /join?invitation=…` verifies the link and checks it is neither revoked nor used up,
//!   **without using it** (mail scanners follow links), then shows the sign-up form with the
//!   invited email filled in and locked.
//! - `POST /join` redeems the invitation (atomic: one-time or N-use) and creates the account.
//!   On PostgreSQL and SQLite the account row and the redemption are **one transaction**: both
//!   commit, or neither does. On memory and Redis, the account is reserved first and given back
//!   if the redemption is refused.
//! - Expired, revoked, used-up and invalid links get friendly pages. Someone back on a link
//!   they already joined with is told so (and to sign in); an address that already has an
//!   account gets its own page. Joiner IDs are random and never reused.
//! - `GET /join/code` is a box for the short code of an invitation; `POST /join/code` resolves
//!   it (10 tries a minute per client address) and goes on to the join page.
//! - Every response carries a Content-Security-Policy (this origin only, `frame-ancestors
//!   'none'`), `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer` (the token in the URL
//!   never leaks to other sites), `Cache-Control: no-store`, and HSTS when served over https.
//!   A POST whose `Origin` is not the service's own is refused with 403 (`web.rs`).
//! - `/admin` is `admit::axum::AdminUi` (list, invite, detail, revoke, rules) behind a sign-in
//!   at `/login` (`admin.rs`): the password from `ADMIN_PASSWORD`, compared in constant time,
//!   throttled so nobody can lock the admin out (`throttle.rs`: OWASP's device cookies), then
//!   a session cookie (`HttpOnly; SameSite=Strict`, `Secure` over https). Joiners on an
//!   invitation's page are named by their account's email.
//!
//! Settings (`--help`, `settings.rs`): `--init` makes the signing key once (mode 0600) and sets
//! up the store; later starts load the key and refuse to start without it. From the
//! environment: `ADDR` (default `127.0.0.1:3000`), `ADMIT_SIGNING_KEY_FILE`
//! (the PKCS#8 PEM key, default `admit-signing-key.pem`), `ADMIN_PASSWORD` (admin pages are off
//! without it; never printed), `PUBLIC_URL` (where users reach the service, default `http://ADDR`: links
//! are built from it and every POST must come from its origin), `ADMIT_STORE_URL` (any store
//! URL: `memory:` by default; `ADMIT_REDIS_URL` is read too). A durable store is set up once:
//! with `--init` on the first run (or `admit store init --store URL`); later runs refuse a store
//! that is not set up rather than start afresh (its data may have been lost).
//!
//! `tests/web/` runs this service on a free port and drives it with an HTTP client and a
//! headless browser; `src/main.rs` reads its settings and serves it.

#![allow(missing_docs)]

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};

use admit::axum::{AdminUi, InvitationRejection, Invited};
use admit::store::{AnyStore, RateLimit, ShortCodes as _, Store, Visits};
use admit::{Error, ErrorKind, InvitationId, Issuer, SigningKey, Verifier, VerifyOptions};
use axum::Router;
use axum::extract::{Form, FromRef, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

pub mod admin;
pub mod settings;
pub mod throttle;
pub mod web;
use web::{page, refused, truncate};

pub const CONTEXT: &str = "acme/invite";

/// Everything the service holds.
pub struct App {
    pub issuer: Issuer,
    pub verifier: Arc<Verifier>,
    pub store: AnyStore,
    /// The admin password; empty: admin pages are off.
    pub admin_password: String,
    /// Admin sessions: ID → end.
    pub sessions: Mutex<HashMap<String, time::OffsetDateTime>>,
    /// How fast the admin password may be tried (`throttle.rs`).
    pub throttle: throttle::Throttle,
    /// Where users reach the service (`https://acme.test`): links are built from it, and a
    /// POST must come from its origin. Never taken from a request's `Host` header.
    pub public_url: String,
    pub accounts: Accounts,
}

/// Where accounts live: beside the invitations, in the same database, when the store is SQL.
pub enum Accounts {
    /// In this process (memory and Redis stores), by normalized email.
    Memory(Mutex<HashMap<String, Account>>),
    /// A table in the store's database (PostgreSQL, SQLite).
    Table(String),
}

#[derive(Clone, Debug)]
pub struct Account {
    pub user_id: String,
    pub name: String,
    pub invitation: InvitationId,
}

impl Account {
    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    fn from_row((user_id, name, invitation): (String, String, Vec<u8>)) -> Account {
        let id = <[u8; 12]>::try_from(invitation.as_slice()).unwrap_or([0; 12]);
        Account {
            user_id,
            name,
            invitation: InvitationId::from_bytes(id),
        }
    }
}

/// The router's state: the app, shared.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

// The `Invited` extractor finds the verifier through this.
impl FromRef<AppState> for Arc<Verifier> {
    fn from_ref(state: &AppState) -> Arc<Verifier> {
        state.0.verifier.clone()
    }
}

/// A database error as the store error the pages know (never the query or its values).
fn db_error(e: impl std::fmt::Display) -> Error {
    Error::StoreUnavailable {
        reason: format!("accounts: {e}"),
    }
}

impl App {
    /// The app on `store`; on a SQL store, accounts go to `accounts_table` (created if
    /// missing) in the same database.
    #[cfg_attr(
        not(any(feature = "postgres", feature = "sqlite")),
        allow(unused_variables)
    )]
    pub async fn new(
        key: SigningKey,
        store: AnyStore,
        admin_password: String,
        public_url: &str,
        accounts_table: &str,
    ) -> Result<App, Error> {
        let issuer = Issuer::new(key, CONTEXT)?;
        let verifier = Arc::new(issuer.verifier());
        let accounts = match &store {
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(pg) => {
                sqlx::query(&format!(
                    "CREATE TABLE IF NOT EXISTS {accounts_table} (user_id TEXT PRIMARY KEY, \
                     email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, invitation BYTEA NOT NULL)"
                ))
                .execute(pg.pool())
                .await
                .map_err(db_error)?;
                Accounts::Table(accounts_table.to_owned())
            }
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite(lite) => {
                sqlx::query(&format!(
                    "CREATE TABLE IF NOT EXISTS {accounts_table} (user_id TEXT PRIMARY KEY, \
                     email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, invitation BLOB NOT NULL)"
                ))
                .execute(lite.pool())
                .await
                .map_err(db_error)?;
                Accounts::Table(accounts_table.to_owned())
            }
            _ => Accounts::Memory(Mutex::new(HashMap::new())),
        };
        Ok(App {
            issuer,
            verifier,
            store,
            admin_password,
            sessions: Mutex::new(HashMap::new()),
            throttle: throttle::Throttle::default(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            accounts,
        })
    }

    /// `scheme://host[:port]` of the public URL: what a browser sends as `Origin`.
    pub fn public_origin(&self) -> String {
        let after_scheme = self.public_url.find("://").map_or(0, |i| i + 3);
        match self.public_url[after_scheme..].find('/') {
            Some(i) => self.public_url[..after_scheme + i].to_owned(),
            None => self.public_url.clone(),
        }
    }

    /// The account of `email` (normalized), if there is one.
    pub async fn account(&self, email: &str) -> Result<Option<Account>, Error> {
        match (&self.accounts, &self.store) {
            (Accounts::Memory(map), _) => Ok(map
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(email)
                .cloned()),
            #[cfg(feature = "postgres")]
            (Accounts::Table(table), AnyStore::Postgres(pg)) => {
                let row: Option<(String, String, Vec<u8>)> = sqlx::query_as(&format!(
                    "SELECT user_id, name, invitation FROM {table} WHERE email = $1"
                ))
                .bind(email)
                .fetch_optional(pg.pool())
                .await
                .map_err(db_error)?;
                Ok(row.map(Account::from_row))
            }
            #[cfg(feature = "sqlite")]
            (Accounts::Table(table), AnyStore::Sqlite(lite)) => {
                let row: Option<(String, String, Vec<u8>)> = sqlx::query_as(&format!(
                    "SELECT user_id, name, invitation FROM {table} WHERE email = $1"
                ))
                .bind(email)
                .fetch_optional(lite.pool())
                .await
                .map_err(db_error)?;
                Ok(row.map(Account::from_row))
            }
            #[allow(unreachable_patterns)]
            _ => Err(db_error("an accounts table needs a SQL store")),
        }
    }

    /// Whether the account of `email` was created with invitation `id`.
    pub async fn joined_with(&self, email: &str, id: InvitationId) -> bool {
        let Ok(email) = admit::normalize_email(email) else {
            return false;
        };
        matches!(self.account(&email).await, Ok(Some(a)) if a.invitation == id)
    }

    /// Whether the account of `email` was created with the invitation of this genuine token.
    async fn joined_with_token(&self, token: &str, email: &str) -> bool {
        match self.verifier.verify(token) {
            Ok(invitation) => self.joined_with(email, invitation.id()).await,
            Err(_) => false,
        }
    }

    /// The email of each joiner (a user ID), for the admin pages.
    pub async fn emails_of(&self, joiners: &[String]) -> Vec<Option<String>> {
        let mut out = Vec::with_capacity(joiners.len());
        for joiner in joiners {
            out.push(self.email_of(joiner).await);
        }
        out
    }

    async fn email_of(&self, user_id: &str) -> Option<String> {
        match (&self.accounts, &self.store) {
            (Accounts::Memory(map), _) => map
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .find(|(_, a)| a.user_id == user_id)
                .map(|(email, _)| email.clone()),
            #[cfg(feature = "postgres")]
            (Accounts::Table(table), AnyStore::Postgres(pg)) => {
                sqlx::query_scalar(&format!("SELECT email FROM {table} WHERE user_id = $1"))
                    .bind(user_id)
                    .fetch_optional(pg.pool())
                    .await
                    .ok()
                    .flatten()
            }
            #[cfg(feature = "sqlite")]
            (Accounts::Table(table), AnyStore::Sqlite(lite)) => {
                sqlx::query_scalar(&format!("SELECT email FROM {table} WHERE user_id = $1"))
                    .bind(user_id)
                    .fetch_optional(lite.pool())
                    .await
                    .ok()
                    .flatten()
            }
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// How many accounts exist.
    pub async fn account_count(&self) -> Result<i64, Error> {
        match (&self.accounts, &self.store) {
            (Accounts::Memory(map), _) => {
                Ok(map.lock().unwrap_or_else(|e| e.into_inner()).len() as i64)
            }
            #[cfg(feature = "postgres")]
            (Accounts::Table(table), AnyStore::Postgres(pg)) => {
                sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(pg.pool())
                    .await
                    .map_err(db_error)
            }
            #[cfg(feature = "sqlite")]
            (Accounts::Table(table), AnyStore::Sqlite(lite)) => {
                sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(lite.pool())
                    .await
                    .map_err(db_error)
            }
            #[allow(unreachable_patterns)]
            _ => Err(db_error("an accounts table needs a SQL store")),
        }
    }
}

pub fn router(app: Arc<App>) -> Router {
    let state = AppState(app.clone());
    let mut router = Router::new()
        .route("/", get(home))
        .route("/style.css", get(web::style))
        .route("/login", get(admin::login_form).post(admin::login))
        .route("/logout", post(admin::logout));
    // The admin pages from the crate, behind the sign-in. (A bad public URL leaves them off;
    // `main` checks it first.)
    let join_url = format!("{}/join", app.public_url);
    if let Ok(ui) = AdminUi::new(app.store.clone(), app.issuer.clone(), &join_url) {
        let login = axum::middleware::from_fn_with_state(state.clone(), admin::require_login);
        let accounts = app.clone();
        let ui = ui.sign_out("/logout").joiner_labels(move |joiners| {
            let app = accounts.clone();
            async move { app.emails_of(&joiners).await }
        });
        router = router.nest("/admin", ui.router().layer(login));
    }
    router
        .route("/join", get(join_page).post(join))
        .route("/join/code", get(code_page).post(code))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::guard,
        ))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Pages

async fn home() -> Response {
    page(
        StatusCode::OK,
        "Acme",
        html! {
            p { "Joining is by invitation. Open the link from your invitation email, or "
                a href="/join/code" { "type the code" } " you were given." }
            p.muted { "Admins: " a href="/login" { "sign in" } "." }
        },
    )
}

/// The page for a person who already joined with this invitation.
fn already_joined() -> Response {
    page(
        StatusCode::OK,
        "You have already joined",
        html! {
            p { "This invitation was used to create your account, so there is nothing more to \
                do here. Sign in with your address instead." }
            p { a href="/" { "Go to Acme" } }
        },
    )
}

/// The page for an address that has an account already (joined another way).
fn has_account() -> Response {
    page(
        StatusCode::CONFLICT,
        "This address already has an account",
        html! {
            p { "Sign in with it instead, or go back and join with another address." }
            p { a href="/" { "Go to Acme" } }
        },
    )
}

/// `GET /join?invitation=…`: verify, check revocation and uses, show the form. Counts nothing.
async fn join_page(
    State(AppState(app)): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    invited: Result<Invited, InvitationRejection>,
) -> Response {
    let invitation = match invited {
        Ok(Invited(invitation)) => invitation,
        Err(rejection) => return refused(rejection.error()),
    };
    // Revoked or used up: say so now, rather than after the form is filled in. A used-up
    // invitation bound to an address whose account it created: that person already joined.
    if let Err(e) = app.store.check(&invitation).await {
        if e.kind() == ErrorKind::UsedUp
            && let Some(email) = invitation.email()
            && app.joined_with(email, invitation.id()).await
        {
            return already_joined();
        }
        return refused(&e);
    }
    // Visitor tracking is best effort: a failure here must not block a sign-up.
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown");
    let _ = app
        .store
        .record_visit(&invitation, &format!("ua={}", truncate(agent, 200)))
        .await;

    // The form posts the token back; it is the one the extractor just verified.
    let token = uri
        .query()
        .and_then(|q| {
            admit::find_token(&format!("?{q}"))
                .ok()
                .map(|t| t.to_string())
        })
        .unwrap_or_default();
    let body = html! {
        @if let Some(inviter) = invitation.inviter() { p { "Invited by " (inviter) "." } }
        form method="post" action="/join" {
            input type="hidden" name="invitation" value=(token);
            label { "Email"
                @match invitation.email() {
                    Some(email) => input name="email" type="email" value=(email) readonly;,
                    None => input name="email" type="email" autocomplete="email" required;,
                }
            }
            label { "Name " small { "(up to " (MAX_NAME) " characters)" }
                input name="name" autocomplete="name" required maxlength=(MAX_NAME); }
            button { "Join" }
        }
    };
    page(StatusCode::OK, "Create your account", body)
}

/// The longest name, in characters (as the browser counts them in `maxlength`, and as the
/// server counts them).
const MAX_NAME: usize = 100;

/// `GET /join/code`: a box to type the short code of an invitation.
async fn code_page() -> Response {
    code_form(StatusCode::OK, None, "")
}

fn code_form(status: StatusCode, problem: Option<&str>, typed: &str) -> Response {
    let body = html! {
        @if let Some(problem) = problem { p role="alert" { (problem) } }
        p { "Type the code from your invitation. Case, spaces and dashes do not matter." }
        form method="post" action="/join/code" {
            label { "Invitation code"
                input.code name="code" value=(typed) required maxlength="64" autocomplete="off"
                    autocapitalize="characters" spellcheck="false"; }
            button { "Continue" }
        }
    };
    page(status, "Join with a code", body)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /join/code`: the code resolved (10 tries a minute per client address), then on to
/// the join page of its invitation.
async fn code(
    State(AppState(app)): State<AppState>,
    peer: Option<axum::extract::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Form(form): Form<CodeForm>,
) -> Response {
    let typed = form.code.trim();
    if typed.is_empty() {
        return code_form(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Type the code first."),
            "",
        );
    }
    let client = peer.map_or_else(|| "unknown".to_owned(), |p| p.0.0.ip().to_string());
    let limit = RateLimit::per_minute(10);
    let token = match app
        .store
        .resolve_code_for(&format!("code:{client}"), typed, &limit)
        .await
    {
        Ok(token) => token,
        Err(e @ (Error::UnknownCode | Error::MistypedCode | Error::InvalidArgument { .. })) => {
            let problem = match e {
                Error::MistypedCode => "That code has a typo: one of its characters is wrong.",
                Error::UnknownCode => {
                    "We don't know that code. Check it, or ask for a new invitation: codes stop \
                     working when their invitation expires."
                }
                _ => "That is not an invitation code: codes are letters and digits.",
            };
            return code_form(StatusCode::UNPROCESSABLE_ENTITY, Some(problem), typed);
        }
        Err(e) => return refused(&e),
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let to = format!("/join?invitation={token}");
    if let Ok(to) = axum::http::HeaderValue::from_str(&to) {
        response.headers_mut().insert(header::LOCATION, to);
    }
    response
}

#[derive(Deserialize)]
pub struct JoinForm {
    invitation: String,
    email: String,
    name: String,
}

/// `POST /join`: redeem the invitation and create the account.
async fn join(State(AppState(app)): State<AppState>, Form(form): Form<JoinForm>) -> Response {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please give your name",
            html! { p { "Go back and fill in your name (up to " (MAX_NAME) " characters)." } },
        );
    }
    let email = match admit::normalize_email(&form.email) {
        Ok(email) => email,
        Err(Error::InvalidClaim { reason, .. }) => return refused(&Error::InvalidEmail { reason }),
        Err(e) => return refused(&e),
    };
    match create_account(&app, &form.invitation, &email, name).await {
        Ok(user_id) => page(
            StatusCode::CREATED,
            "Welcome!",
            html! { p { "Your account " span.id { (user_id) } " is ready, " (name) "." } },
        ),
        // The person who joined with this invitation, back again: say so, and where to go.
        Err(SignUpError::Taken) | Err(SignUpError::Refused(Error::UsedUp { .. }))
            if app.joined_with_token(&form.invitation, &email).await =>
        {
            already_joined()
        }
        Err(SignUpError::Taken) => has_account(),
        Err(SignUpError::Refused(e)) => refused(&e),
    }
}

enum SignUpError {
    /// An account with this address exists.
    Taken,
    Refused(Error),
}

impl From<Error> for SignUpError {
    fn from(e: Error) -> SignUpError {
        SignUpError::Refused(e)
    }
}

/// The account row; nothing if the address has an account already.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
fn insert_account(table: &str) -> String {
    format!(
        "INSERT INTO {table} (user_id, email, name, invitation) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (email) DO NOTHING"
    )
}

/// Creates the account of `email` and redeems the invitation for it; the new user ID.
async fn create_account(
    app: &App,
    token: &str,
    email: &str,
    name: &str,
) -> Result<String, SignUpError> {
    let user_id = format!("user-{}", InvitationId::random()?);
    let options = VerifyOptions::new().email(email);
    match (&app.store, &app.accounts) {
        // One transaction: the account row, then the redemption. Any `?` below drops `tx`,
        // which rolls both back.
        #[cfg(feature = "postgres")]
        (AnyStore::Postgres(pg), Accounts::Table(table)) => {
            let invitation = app.verifier.verify_with(token, options)?;
            let mut tx = pg.pool().begin().await.map_err(db_error)?;
            let created = sqlx::query(&insert_account(table))
                .bind(&user_id)
                .bind(email)
                .bind(name)
                .bind(invitation.id().to_bytes().to_vec())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            if created.rows_affected() == 0 {
                return Err(SignUpError::Taken);
            }
            pg.redeem_in(&mut tx, &invitation, &user_id).await?;
            tx.commit().await.map_err(db_error)?;
        }
        // The same on SQLite, in a transaction that takes the write lock at once.
        #[cfg(feature = "sqlite")]
        (AnyStore::Sqlite(lite), Accounts::Table(table)) => {
            let invitation = app.verifier.verify_with(token, options)?;
            let mut tx = lite
                .pool()
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(db_error)?;
            let created = sqlx::query(&insert_account(table))
                .bind(&user_id)
                .bind(email)
                .bind(name)
                .bind(invitation.id().to_bytes().to_vec())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            if created.rows_affected() == 0 {
                return Err(SignUpError::Taken);
            }
            lite.redeem_in(&mut tx, &invitation, &user_id).await?;
            tx.commit().await.map_err(db_error)?;
        }
        // Memory and Redis: reserve the address first, so two sign-ups cannot both create
        // it, and give it back if the redemption is refused.
        (_, Accounts::Memory(accounts)) => {
            let lock = || accounts.lock().unwrap_or_else(|e| e.into_inner());
            let account = Account {
                user_id: user_id.clone(),
                name: name.to_owned(),
                invitation: InvitationId::from_bytes([0; 12]),
            };
            match lock().entry(email.to_owned()) {
                Entry::Occupied(_) => return Err(SignUpError::Taken),
                Entry::Vacant(slot) => slot.insert(account),
            };
            let redeemed = app
                .verifier
                .verify_and_redeem(token, options, &app.store, &user_id)
                .await;
            let mut accounts = lock();
            match redeemed {
                Ok((invitation, _)) => {
                    if let Some(account) = accounts.get_mut(email) {
                        account.invitation = invitation.id();
                    }
                }
                Err(e) => {
                    accounts.remove(email);
                    return Err(e.into());
                }
            }
        }
        #[allow(unreachable_patterns)]
        _ => {
            return Err(SignUpError::Refused(db_error(
                "an accounts table needs a SQL store",
            )));
        }
    }
    Ok(user_id)
}

/// Serves `app` on `listener` until the process ends.
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    // The client's address reaches the handlers (the sign-in throttle, the code box).
    let service = router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).await
}
