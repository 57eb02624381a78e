//! What every page of the service shares: the HTML frame and its stylesheet, the refusal pages,
//! escaping, and the guard every request passes — security headers on every response, and
//! no POST from another site.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use admit::{Error, ErrorKind};

use super::AppState;

/// The stylesheet, served from this origin (`/style.css`), so the Content-Security-Policy can
/// forbid every other source.
pub const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fafaf9;--muted:#57606a;--accent:#0b57d0;--on-accent:#fff;--line:#d0d7de;--field:#6e7781}\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9da7b3;--accent:#7cacf8;--on-accent:#0d1117;--line:#30363d;--field:#8b949e}}\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);background:var(--bg)}\
main{max-width:44rem;margin:0 auto;padding:2rem 1rem}\
h1{font-size:1.6rem;line-height:1.25;margin:0 0 1rem}\
p{margin:0 0 1rem}\
a{color:var(--accent)}\
label{display:block;margin:0 0 1rem;font-weight:600}\
input{display:block;width:100%;margin-top:.3rem;padding:.6rem;font:inherit;border:1px solid var(--field);border-radius:.4rem;background:transparent;color:inherit}\
input[readonly]{color:var(--muted)}\
button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:var(--accent);color:var(--on-accent);cursor:pointer}\
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}\
table{width:100%;border-collapse:collapse;margin:0 0 1.5rem;font-size:.95rem}\
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}\
.id{font-family:ui-monospace,monospace;font-size:.85rem;word-break:break-all}\
label small{font-weight:400;color:var(--muted)}\
.code{font-family:ui-monospace,monospace;letter-spacing:.1em;text-transform:uppercase}\
";

/// An HTML page: `lang`, a viewport for phones, the stylesheet. The guard adds the headers.
/// Every value in `body` was escaped by maud when it was built.
pub fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/style.css";
            }
            body { main { h1 { (title) } (body) } }
        }
    };
    (status, Html(markup.into_string())).into_response()
}

/// Every request: a POST from another site is refused (403) before any handler runs; every
/// response carries the headers a page holding a token needs.
pub async fn guard(
    State(AppState(app)): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = if request.method() == Method::POST
        && !admit::axum::is_same_origin(request.headers(), &app.public_origin())
    {
        page(
            StatusCode::FORBIDDEN,
            "This form was sent from another site",
            html! { p { "For your safety, forms are accepted only from this site's own pages." } },
        )
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    // A handler's own policy stands (the admin pages allow their inline stylesheet by hash).
    let set = |headers: &mut HeaderMap, name, value| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // The token is in the URL: never send it to other sites, never cache the page.
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::CACHE_CONTROL, "no-store");
    if app.public_url.starts_with("https://") {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

/// `GET /style.css`.
pub async fn style() -> Response {
    let mut response = STYLE.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    response
}

/// The page for an invitation that cannot be used. It says what is wrong with the *link*, and
/// never whether an address has an account.
pub fn refused(error: &Error) -> Response {
    let (status, title, text) = match error.kind() {
        ErrorKind::Expired => (
            StatusCode::GONE,
            "This invitation has expired",
            "Ask the person who invited you for a new link.",
        ),
        ErrorKind::UsedUp => (
            StatusCode::GONE,
            "This invitation has already been used",
            "Each invitation works a limited number of times. Ask for a new one.",
        ),
        ErrorKind::Revoked => (
            StatusCode::GONE,
            "This invitation has been withdrawn",
            "Ask the person who invited you if you should still join.",
        ),
        ErrorKind::EmailRefused if matches!(error, Error::InvalidEmail { .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "That is not an email address we can use",
            "Go back and check the address: letters, digits, one @, and no spaces.",
        ),
        ErrorKind::EmailRefused => (
            StatusCode::FORBIDDEN,
            "This invitation can't be used with that address",
            "Use the address the invitation was sent to, or ask for a new invitation.",
        ),
        ErrorKind::StoreFailure => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again in a minute",
            "We could not check your invitation just now.",
        ),
        ErrorKind::UnknownCode if matches!(error, Error::MistypedCode) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "That code has a typo",
            "One of its characters is wrong: check it against your invitation and try again.",
        ),
        ErrorKind::UnknownCode => (
            StatusCode::NOT_FOUND,
            "We don't know that code",
            "Check it against your invitation, or ask for a new one: codes stop working when \
             their invitation expires.",
        ),
        ErrorKind::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many tries",
            "Wait a minute, then try again.",
        ),
        ErrorKind::Unreadable
        | ErrorKind::NotGenuine
        | ErrorKind::NotYetValid
        | ErrorKind::Conflict
        | ErrorKind::InvalidInput
        | ErrorKind::System => (
            StatusCode::BAD_REQUEST,
            "This invitation link is not valid",
            "Check that you opened or copied the whole link from your email.",
        ),
    };
    page(status, title, html! { p { (text) } })
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
