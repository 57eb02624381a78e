//! Admin pages for invitations, as a router to mount behind the application's own
//! authentication: list with filters, invite, detail, revoke, revoke by rule.

use core::future::Future;
use core::pin::Pin;
use std::sync::Arc;

use ::axum::Router;
use ::axum::extract::FromRequestParts;
use ::axum::http::request::Parts;
use ::axum::http::{Method, StatusCode};
use ::axum::middleware::from_extractor_with_state;
use ::axum::response::Response;
use ::axum::routing::{get, post};
use maud::{Markup, html};

use crate::error::{Error, ErrorKind};
use crate::issuer::Issuer;
use crate::store::{Events, ShortCodes, Store, Visits};

mod actions;
mod activity;
mod funnel;
mod html;
mod list;
mod pages;

use html::{Base, Frame, page};
pub(super) use list::{ListPage, SCAN_BUDGET};

/// How the application names joiners on an invitation's page (their email, say), given their
/// joiner IDs; see [`AdminUi::joiner_labels`].
type JoinerLabels = Arc<
    dyn Fn(Vec<String>) -> Pin<Box<dyn Future<Output = Vec<Option<String>>> + Send>> + Send + Sync,
>;

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

/// The admin pages of a store, as an axum router: a list of recorded invitations with search
/// and filters (start of an email or inviter, inviter, state) and pages; an invite form that
/// shows the new link (with a copy button and a QR code) and its short code once; a page per
/// invitation (claims, uses, joiners, visits, timeline) with a revoke button that asks first;
/// and revocation by rule (everyone's, or one inviter's, issued before a time), after a
/// confirmation step that counts what it will revoke.
///
/// The router has **no authentication of its own**: nest it under your application's (a
/// session check, a reverse proxy's), and give [`sign_out`](AdminUi::sign_out) the address
/// that ends a session. It learns where it is nested from axum's
/// [`NestedPath`](::axum::extract::NestedPath). Its pages work without JavaScript (a few
/// lines of inline script, allowed by hash, add copy buttons) and load nothing from
/// anywhere; every value is escaped (maud markup); every response forbids framing and
/// caching. Every request other than `GET` and `HEAD` must come from the origin of the join
/// URL ([`is_same_origin`](super::is_same_origin)), checked by a layer in front of every
/// route, so another site cannot make an admin's browser revoke or mint: a strict origin
/// check, the CSRF defence that needs no token. Give your session cookie `SameSite=Strict`
/// as well.
///
/// It works on every [`Store`]: what it lists is what [`Store::record_issued`] recorded (it
/// records what it mints), soonest expiry first, 50 to a page, as far as the list goes. A
/// search or state filter reads up to 10,000 invitations per page it shows and links on from
/// where it stopped. Expired invitations are listed under their own filter while the store
/// still remembers them (an hour after expiry by default).
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
///     .sign_out("/logout");
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
    /// Where the "Sign out" button posts.
    sign_out: Option<String>,
    /// The application's names for joiners.
    labels: Option<JoinerLabels>,
    /// Webhook endpoints whose state the Activity page shows.
    endpoints: Vec<String>,
}

impl<S> core::fmt::Debug for AdminUi<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AdminUi")
            .field("join_url", &self.inner.join_url)
            .field("sign_out", &self.inner.sign_out)
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
                sign_out: None,
                labels: None,
                endpoints: Vec::new(),
            }),
        })
    }

    /// Puts a "Sign out" button on every page, posting to `path` (your application's route
    /// that ends the session, on the same origin).
    ///
    /// ```
    /// # use admit::axum::AdminUi;
    /// # use admit::store::MemoryStore;
    /// # use admit::{Issuer, SigningKey};
    /// # let issuer = Issuer::new(SigningKey::generate()?, "acme/invite")?;
    /// let admin = AdminUi::new(MemoryStore::new(), issuer, "https://acme.test/join")?
    ///     .sign_out("/logout");
    /// # let _ = admin;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn sign_out(self, path: &str) -> AdminUi<S> {
        let path = path.to_owned();
        self.with(|inner| inner.sign_out = Some(path))
    }

    /// Names joiners on an invitation's page the way your application knows them (their
    /// email, their name) instead of only by joiner ID: `labels` gets the joiner IDs of one
    /// invitation and answers a label (or `None`) for each, in the same order.
    ///
    /// ```
    /// # use admit::axum::AdminUi;
    /// # use admit::store::MemoryStore;
    /// # use admit::{Issuer, SigningKey};
    /// # let issuer = Issuer::new(SigningKey::generate()?, "acme/invite")?;
    /// let admin = AdminUi::new(MemoryStore::new(), issuer, "https://acme.test/join")?
    ///     .joiner_labels(|joiners: Vec<String>| async move {
    ///         // Look the accounts up in your database.
    ///         joiners.iter().map(|j| Some(format!("user {j}"))).collect()
    ///     });
    /// # let _ = admin;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn joiner_labels<F, Fut>(self, labels: F) -> AdminUi<S>
    where
        F: Fn(Vec<String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<Option<String>>> + Send + 'static,
    {
        let labels: JoinerLabels = Arc::new(move |joiners| Box::pin(labels(joiners)));
        self.with(|inner| inner.labels = Some(labels))
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
    /// `POST /i/{id}/revoke`, `GET /rules`, `POST /rules`, `GET /activity`, `GET /funnel`,
    /// every route behind the same-origin check. It carries its own state, so it nests into a
    /// router of any state type.
    pub fn router<T: Clone + Send + Sync + 'static>(self) -> Router<T> {
        Router::new()
            .route("/", get(list::list::<S>))
            .route("/new", get(actions::new_form::<S>))
            .route("/invitations", post(actions::mint::<S>))
            .route("/i/{id}", get(actions::detail::<S>))
            .route("/i/{id}/revoke", post(actions::revoke::<S>))
            .route(
                "/rules",
                get(actions::rules_form::<S>).post(actions::rule::<S>),
            )
            .route("/activity", get(activity::activity::<S>))
            .route("/funnel", get(funnel::funnel::<S>))
            .layer(from_extractor_with_state::<SameOrigin, AdminUi<S>>(
                self.clone(),
            ))
            .with_state(self)
    }
}

/// The guard in front of every route: anything but `GET` and `HEAD` must come from the join
/// URL's origin, or it is refused with 403 before a handler runs.
struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<AdminUi<S>> for SameOrigin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ui: &AdminUi<S>,
    ) -> Result<SameOrigin, Response> {
        if matches!(parts.method, Method::GET | Method::HEAD)
            || super::is_same_origin(&parts.headers, &ui.inner.origin)
        {
            return Ok(SameOrigin);
        }
        let Ok(base) = Base::from_request_parts(parts, ui).await;
        Err(ui.inner.page(
            &base,
            StatusCode::FORBIDDEN,
            "Refused: sent from another site",
            html! { p { "Admin forms are accepted only from this site's own pages." } },
        ))
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

    fn page(&self, base: &Base, status: StatusCode, title: &str, body: Markup) -> Response {
        let frame = Frame {
            base,
            sign_out: self.sign_out.as_deref(),
        };
        page(frame, status, title, body)
    }

    fn failed(&self, base: &Base, error: &Error) -> Response {
        let status = if error.kind() == ErrorKind::StoreFailure {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let body = html! { p role="alert" { (error) } };
        self.page(base, status, "That did not work", body)
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
