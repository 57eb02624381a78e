//! Admin sign-in from a browser: a password from the environment, compared in constant time,
//! throttled per client address and per trusted device (`throttle.rs`), and a session cookie
//! (`HttpOnly; SameSite=Strict`, `Secure` over https). The pages themselves are
//! `admit::axum::AdminUi`, nested at `/admin` behind [`require_login`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration as StdDuration;

use admit::InvitationId;
use axum::extract::{ConnectInfo, Extension, Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;
use time::{Duration, OffsetDateTime};

use super::AppState;
use super::throttle::{DEVICE_COOKIE, Refusal};
use super::web::page;

/// The session cookie's name.
pub const COOKIE: &str = "admit_admin";
/// How long a session lasts.
const SESSION: Duration = Duration::hours(12);
/// How long a browser stays a trusted device.
const DEVICE: Duration = Duration::days(365);

fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(to) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, to);
    }
    response
}

/// The value of the cookie `name` in the request, if any.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// In front of every admin page: a live session, or the sign-in page.
pub async fn require_login(
    State(AppState(app)): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let live = cookie(request.headers(), COOKIE).is_some_and(|id| {
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
            html! { p { a href="/login" { "Sign in" } } },
        )
    }
}

fn login_page(status: StatusCode, note: Option<&str>) -> Response {
    let body: Markup = html! {
        @if let Some(note) = note { p role="alert" { (note) } }
        form method="post" action="/login" {
            label { "Password"
                input name="password" type="password" autocomplete="current-password" required autofocus; }
            button { "Sign in" }
        }
    };
    page(status, "Admin sign-in", body)
}

/// `GET /login`.
pub async fn login_form(State(AppState(app)): State<AppState>) -> Response {
    if app.admin_password.is_empty() {
        return page(
            StatusCode::NOT_FOUND,
            "Admin pages are off",
            html! { p { "Set ADMIN_PASSWORD to turn them on." } },
        );
    }
    login_page(StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    password: String,
}

/// The client's address: the TCP peer (this service is meant to be reached directly or
/// behind a proxy that keeps one connection per client; see the README).
fn address(peer: Option<&ConnectInfo<SocketAddr>>) -> IpAddr {
    peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0.ip())
}

/// `POST /login`: throttled (`throttle.rs`: per device, per address with back-off, and 10 a
/// minute for all untrusted clients together), the password compared in constant time, then
/// a fresh session and a device cookie.
pub async fn login(
    State(AppState(app)): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if app.admin_password.is_empty() {
        return page(StatusCode::NOT_FOUND, "Admin pages are off", html! {});
    }
    let now = OffsetDateTime::now_utc();
    let address = address(peer.as_ref().map(|p| &p.0));
    let device = cookie(&headers, DEVICE_COOKIE);
    match app
        .throttle
        .admit(&app.store, device.as_deref(), address, now)
        .await
    {
        Ok(()) => {}
        Err(Refusal::Wait(wait)) => {
            // Whole seconds, rounded up: never "try again in 0 s".
            let secs = wait.as_millis().div_ceil(1000).max(1);
            let mut response = login_page(
                StatusCode::TOO_MANY_REQUESTS,
                Some(&format!("Too many attempts: try again in {secs} s.")),
            );
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Err(Refusal::Unavailable) => {
            return login_page(
                StatusCode::SERVICE_UNAVAILABLE,
                Some("Try again in a minute."),
            );
        }
    }
    let matches = form
        .password
        .as_bytes()
        .ct_eq(app.admin_password.as_bytes());
    if !bool::from(matches) {
        app.throttle.failed(device.as_deref(), address, now);
        return login_page(
            StatusCode::UNAUTHORIZED,
            Some("That password is not right."),
        );
    }
    let (Ok(a), Ok(b), Ok(c)) = (
        InvitationId::random(),
        InvitationId::random(),
        InvitationId::random(),
    ) else {
        return login_page(StatusCode::SERVICE_UNAVAILABLE, Some("Try again."));
    };
    let id = format!("{a}{b}");
    let device = app
        .throttle
        .succeeded(device.as_deref(), address, format!("{c}{a}"));
    app.sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), now + SESSION);
    let secure = if app.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let seconds = |d: Duration| StdDuration::try_from(d).map_or(0, |d| d.as_secs());
    let mut response = see_other("/admin");
    let cookies = [
        format!(
            "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            seconds(SESSION)
        ),
        format!(
            "{DEVICE_COOKIE}={device}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            seconds(DEVICE)
        ),
    ];
    for cookie in cookies {
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// `POST /logout`: the session ends here and in the browser (the device stays trusted).
pub async fn logout(State(AppState(app)): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, COOKIE) {
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
