//! axum integration: an extractor that hands handlers a verified [`Invitation`], and
//! ([`AdminUi`], with the default `rand` feature) admin pages to mount behind your own
//! authentication.
//!
//! [`Invited`] reads the `invitation` query parameter, verifies it with the
//! [`Verifier`] in the router's state, and hands the handler the invitation.
//! A missing or invalid token is answered with [`InvitationRejection`]: a short page with a
//! fitting status (400, 403 or 410) and `Referrer-Policy: no-referrer`, which never says more
//! than "this link is not valid". Take `Result<Invited, InvitationRejection>` to render your own
//! pages instead.
//!
//! Verification alone counts nothing and checks no revocation: do that with a store in the
//! handler ([`Verifier::verify_and_check`](crate::Verifier::verify_and_check) on `GET`, [`verify_and_redeem`](crate::Verifier::verify_and_redeem) on `POST`).
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//!
//! use admit::axum::Invited;
//! use admit::{SigningKey, Verifier};
//! use axum::{Router, routing::get};
//!
//! async fn join(Invited(invitation): Invited) -> String {
//!     format!("welcome, {}", invitation.email().unwrap_or("friend"))
//! }
//!
//! let public = SigningKey::from_bytes(&[7; 32]).verifying_key();
//! let verifier = Arc::new(Verifier::new(public, "acme/invite")?);
//! let app: Router = Router::new().route("/join", get(join)).with_state(verifier);
//! # let _ = app;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

#[cfg(feature = "rand")]
mod admin;
#[cfg(feature = "rand")]
pub use admin::{AdminActor, AdminUi, PAGE_SIZE};

use ::axum::extract::{FromRef, FromRequestParts};
use ::axum::http::request::Parts;
use ::axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use ::axum::response::{IntoResponse, Response};

use crate::error::{Error, ErrorKind};
use crate::invitation::Invitation;
use crate::verifier::Verifier;

/// Whether a request (a form `POST`) came from a page of `origin` (`https://acme.test`): the
/// check that stops cross-site request forgery without a token.
///
/// - `Sec-Fetch-Site`, which every current browser sends, must be `same-origin` (or `none`: the
///   user typed the address).
/// - Without it, `Origin` must be `origin` exactly; `Origin: null` (a sandboxed frame, a data
///   URL, or an older browser on a `no-referrer` page) is refused.
/// - A request with neither header did not come from a browser, so no other site can have sent
///   it through one: it is allowed (scripts, tests, `curl`).
///
/// # Examples
///
/// ```
/// use admit::axum::is_same_origin;
/// use axum::http::HeaderMap;
///
/// let mut from_evil = HeaderMap::new();
/// from_evil.insert("origin", "https://evil.example".parse().unwrap());
/// assert!(!is_same_origin(&from_evil, "https://acme.test"));
///
/// let mut ours = HeaderMap::new();
/// ours.insert("sec-fetch-site", "same-origin".parse().unwrap());
/// assert!(is_same_origin(&ours, "https://acme.test"));
/// ```
pub fn is_same_origin(headers: &HeaderMap, origin: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    match headers.get(header::ORIGIN) {
        Some(given) => given.to_str().is_ok_and(|given| given == origin),
        None => true,
    }
}

/// A verified invitation taken from the request's `invitation` query parameter.
///
/// The router's state must give an `Arc<Verifier>` (`FromRef`), so every request shares one
/// verifier and its precomputed key tables.
#[derive(Clone, Debug)]
pub struct Invited(pub Invitation);

/// Why [`Invited`] refused a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationRejection {
    error: Error,
}

impl InvitationRejection {
    /// What failed, for logs or your own pages.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The status this rejection answers with: 400 when there is no usable token, 410 when it
    /// has expired, 403 otherwise.
    pub fn status(&self) -> StatusCode {
        match self.error.kind() {
            ErrorKind::Unreadable => StatusCode::BAD_REQUEST,
            ErrorKind::Expired | ErrorKind::UsedUp => StatusCode::GONE,
            ErrorKind::NotGenuine
            | ErrorKind::NotYetValid
            | ErrorKind::EmailRefused
            | ErrorKind::Revoked
            | ErrorKind::UnknownCode
            | ErrorKind::Conflict
            | ErrorKind::RateLimited
            | ErrorKind::InvalidInput
            | ErrorKind::StoreFailure
            | ErrorKind::System => StatusCode::FORBIDDEN,
        }
    }
}

impl IntoResponse for InvitationRejection {
    fn into_response(self) -> Response {
        let message = match self.status() {
            StatusCode::GONE => "This invitation link has expired. Ask for a new one.",
            StatusCode::BAD_REQUEST => "This page needs a complete invitation link.",
            _ => "This invitation link is not valid.",
        };
        let mut response = (self.status(), message).into_response();
        response.headers_mut().insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        response
    }
}

impl<S> FromRequestParts<S> for Invited
where
    Arc<Verifier>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = InvitationRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Invited, Self::Rejection> {
        let verifier = Arc::<Verifier>::from_ref(state);
        let query = parts.uri.query().unwrap_or_default();
        let result = if query.is_empty() {
            Err(Error::MissingToken)
        } else {
            crate::url::find_query_token(query).and_then(|token| verifier.verify(&token))
        };
        result
            .map(Invited)
            .map_err(|error| InvitationRejection { error })
    }
}
