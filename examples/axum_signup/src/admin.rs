//! Admin sign-in from a browser: a password from the environment, compared in constant time,
//! a few attempts a minute, and a session cookie (`HttpOnly; SameSite=Strict`, `Secure` over
//! https). The pages themselves are `admit::axum::AdminUi`, nested at `/admin` behind
//! [`require_login`].

use std::time::Duration as StdDuration;

use admit::store::{AttemptLimiter, RateLimit};
use admit::{Error, InvitationId};
use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;
use time::{Duration, OffsetDateTime};

use super::AppState;
use super::web::page;

/// The session cookie's name.
pub const COOKIE: &str = "admit_admin";
/// How long a session lasts.
const SESSION: Duration = Duration::hours(12);

fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(to) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, to);
    }
    response
}

/// The session ID in the request's cookie, if any.
fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// In front of every admin page: a live session, or the sign-in page.
pub async fn require_login(
    State(AppState(app)): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let live = session_of(request.headers()).is_some_and(|id| {
        let mut sessions = app.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|_, until| *until > now);
        sessions.contains_key(&id)
    });
    if live {
        // One password, one admin: the label its actions carry in the audit trail.
        let mut request = request;
        request
            .extensions_mut()
            .insert(admit::axum::AdminActor::new("admin"));
        next.run(request).await
    } else if request.method() == Method::GET {
        see_other("/login")
    } else {
        page(
            StatusCode::UNAUTHORIZED,
            "Sign in first",
            "<p><a href=\"/login\">Sign in</a></p>",
        )
    }
}

fn login_page(status: StatusCode, note: &str) -> Response {
    page(
        status,
        "Admin sign-in",
        &format!(
            "{note}<form method=\"post\" action=\"/login\"><label>Password \
             <input name=\"password\" type=\"password\" autocomplete=\"current-password\" \
             required autofocus></label><button>Sign in</button></form>"
        ),
    )
}

/// `GET /login`.
pub async fn login_form(State(AppState(app)): State<AppState>) -> Response {
    if app.admin_password.is_empty() {
        return page(
            StatusCode::NOT_FOUND,
            "Admin pages are off",
            "<p>Set ADMIN_PASSWORD to turn them on.</p>",
        );
    }
    login_page(StatusCode::OK, "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    password: String,
}

/// `POST /login`: at most 10 attempts a minute (for everyone: a guess costs the attacker as
/// much as the admin), the password compared in constant time, then a fresh session.
pub async fn login(State(AppState(app)): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    if app.admin_password.is_empty() {
        return page(StatusCode::NOT_FOUND, "Admin pages are off", "");
    }
    match app
        .store
        .count_attempt("admin-login", &RateLimit::per_minute(10))
        .await
    {
        Ok(_) => {}
        Err(Error::RateLimited { retry_after }) => {
            return login_page(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "<p role=\"alert\">Too many attempts: try again in {} s.</p>",
                    retry_after.as_secs().max(1)
                ),
            );
        }
        Err(_) => {
            return login_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "<p role=\"alert\">Try again in a minute.</p>",
            );
        }
    }
    let matches = form
        .password
        .as_bytes()
        .ct_eq(app.admin_password.as_bytes());
    if !bool::from(matches) {
        return login_page(
            StatusCode::UNAUTHORIZED,
            "<p role=\"alert\">That password is not right.</p>",
        );
    }
    let (Ok(a), Ok(b)) = (InvitationId::random(), InvitationId::random()) else {
        return login_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "<p role=\"alert\">Try again.</p>",
        );
    };
    let id = format!("{a}{b}");
    app.sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), OffsetDateTime::now_utc() + SESSION);
    let secure = if app.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let mut response = see_other("/admin");
    let cookie = format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        StdDuration::try_from(SESSION).map_or(0, |d| d.as_secs())
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /logout`: the session ends here and in the browser.
pub async fn logout(State(AppState(app)): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = session_of(&headers) {
        app.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
    let mut response = see_other("/login");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("admit_admin=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}
