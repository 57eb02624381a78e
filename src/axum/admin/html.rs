//! The HTML the admin pages share: the page frame with its inline stylesheet and copy script,
//! the mount point, and times as people read them. Markup is built with maud, which escapes
//! every interpolated value unless it is wrapped in `PreEscaped` (only the stylesheet, the
//! script and the QR code's SVG are). No external assets.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64_STANDARD;
use ed25519_dalek::{Digest as _, Sha512};

use ::axum::extract::{FromRequestParts, NestedPath};
use ::axum::http::request::Parts;
use ::axum::http::{HeaderValue, StatusCode, header};
use ::axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::{OffsetDateTime, UtcOffset};

/// The stylesheet, inline in every page (the Content-Security-Policy allows exactly this one by
/// its hash, so no other style can load).
///
/// Colours: every text colour is at least 4.5:1 against its background and every control's
/// border at least 3:1 (WCAG 2.1 AA, 1.4.3 and 1.4.11), in light and in dark mode; the browser
/// test checks the pages with axe-core.
pub(super) const STYLE: &str = ":root{color-scheme:light dark;--fg:#1b1f24;--bg:#fafaf9;\
--muted:#57606a;--accent:#0b57d0;--on-accent:#fff;--line:#d0d7de;--field:#6e7781;\
--bad:#b42318;--good:#1a7f37}\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9da7b3;\
--accent:#7cacf8;--on-accent:#0d1117;--line:#30363d;--field:#8b949e;--bad:#ff8a80;--good:#56d364}}\
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);\
background:var(--bg)}main{max-width:72rem;margin:0 auto;padding:1.5rem 1rem}\
header{max-width:72rem;margin:0 auto;padding:.75rem 1rem 0}p,li,td{overflow-wrap:anywhere}th{white-space:nowrap}\
h1{font-size:1.5rem;margin:0 0 1rem;overflow-wrap:anywhere}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}\
a{color:var(--accent)}nav.top{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;\
margin:0 0 1rem}nav.top form{margin-left:auto}\
label{display:block;margin:0 0 .8rem;font-weight:600}label small{font-weight:400;color:var(--muted)}\
input,select{display:block;width:100%;max-width:28rem;margin-top:.25rem;padding:.5rem;\
font:inherit;border:1px solid var(--field);border-radius:.35rem;background:transparent;color:inherit}\
button{font:inherit;font-weight:600;padding:.5rem 1rem;border:0;border-radius:.35rem;\
background:var(--accent);color:var(--on-accent);cursor:pointer}button.danger{background:var(--bad);\
color:var(--on-accent)}button.link{background:none;color:var(--accent);padding:0;font-weight:400;\
text-decoration:underline}button.copy{padding:.1rem .5rem;font-size:.85rem;margin-left:.35rem}\
[hidden]{display:none!important}\
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}\
table{width:100%;border-collapse:collapse;margin:0 0 1rem;font-size:.95rem}\
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}\
.id,code{font-family:ui-monospace,monospace;font-size:.9rem;overflow-wrap:anywhere}\
.list td{max-width:16rem}.list .id,.list .nowrap{white-space:nowrap}\
.cut{display:block;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\
@media (max-width:600px){.list,.list tbody{display:block}.list thead{display:none}\
.list tr{display:block;padding:.5rem 0;border-bottom:1px solid var(--line)}\
.list td{display:flex;gap:.75rem;max-width:none;border:0;padding:.1rem 0}\
.list td::before{content:attr(data-label);flex:0 0 6.5rem;font-weight:600}\
.list td>*{flex:1 1 auto;min-width:0}}\
.muted{color:var(--muted)}.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end}\
.filters label{margin:0}.once{padding:1rem;border:2px solid var(--accent);border-radius:.5rem}\
.link-text{display:block;font-family:ui-monospace,monospace;font-size:.9rem;overflow-wrap:anywhere;\
margin:.25rem 0 .5rem}.qr{margin:1rem 0}.qr svg{display:block;width:100%;max-width:16rem;height:auto;\
background:#fff;padding:.5rem}\
.num{text-align:right;white-space:nowrap}.wide{overflow-x:auto}.funnel{margin:1rem 0}\
.funnel svg{display:block;width:100%;max-width:30rem}.f-text{fill:var(--fg);font-size:15px}\
.f-issued{fill:var(--muted)}.f-opened{fill:var(--accent)}.f-redeemed{fill:var(--good)}\
@media print{nav.top,button,.filters{display:none}}";

/// The one script: "Copy" buttons. A button with `data-copy` puts that text on the clipboard
/// and says so. The buttons are `hidden` in the markup and shown by this script, so a browser
/// without script shows none that do nothing (the text stays selectable).
pub(super) const SCRIPT: &str = "for(const b of document.querySelectorAll('button[data-copy]')){\
b.hidden=false;b.addEventListener('click',async()=>{const was=b.textContent;\
try{await navigator.clipboard.writeText(b.dataset.copy);b.textContent='Copied'}\
catch(e){b.textContent='Select and copy it'}setTimeout(()=>{b.textContent=was},2000)})}";

/// The Content-Security-Policy: nothing loads; the one inline stylesheet and the one inline
/// script are allowed by their SHA-512 hashes; forms post only to this origin; no page can be
/// framed.
fn csp() -> &'static HeaderValue {
    static CSP: OnceLock<HeaderValue> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = |text: &str| BASE64_STANDARD.encode(Sha512::digest(text.as_bytes()));
        let policy = format!(
            "default-src 'none'; style-src 'sha512-{}'; script-src 'sha512-{}'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            hash(STYLE),
            hash(SCRIPT),
        );
        HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
    })
}

/// Where the admin router is nested (`/admin`), learnt from axum's [`NestedPath`]: links
/// between the pages start with it. Empty when the router is served at the root.
#[derive(Clone, Debug, Default)]
pub(super) struct Base(pub(super) String);

impl Base {
    /// The list's address: the mount point itself (`/admin`), or `/` when not nested.
    pub(super) fn home(&self) -> String {
        if self.0.is_empty() {
            "/".to_owned()
        } else {
            self.0.clone()
        }
    }

    /// The address of a page under the mount point: `at("/new")` is `/admin/new`.
    pub(super) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = core::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Base, Self::Rejection> {
        let nested = parts.extensions.get::<NestedPath>();
        Ok(Base(nested.map_or_else(String::new, |n| {
            n.as_str().trim_end_matches('/').to_owned()
        })))
    }
}

/// How far `t` is from `now`, as people say it: "in 6 days", "3 hours ago", "just now".
pub(super) fn relative(t: OffsetDateTime, now: OffsetDateTime) -> String {
    let (ahead, gap) = if t >= now {
        (true, t - now)
    } else {
        (false, now - t)
    };
    let amount = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let span = if gap.whole_days() >= 1 {
        amount(gap.whole_days(), "day")
    } else if gap.whole_hours() >= 1 {
        amount(gap.whole_hours(), "hour")
    } else if gap.whole_minutes() >= 1 {
        amount(gap.whole_minutes(), "minute")
    } else {
        return "just now".to_owned();
    };
    if ahead {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// A time in UTC with how far it is from `now`: "2026-11-30 12:25 UTC (in 6 days)".
pub(super) fn when(t: OffsetDateTime, now: OffsetDateTime) -> String {
    let utc = t.to_offset(UtcOffset::UTC);
    format!(
        "{} {:02}:{:02} UTC ({})",
        utc.date(),
        utc.hour(),
        utc.minute(),
        relative(t, now)
    )
}

/// A "Copy" button for `text` (shown only where the script runs).
pub(super) fn copy_button(text: &str, label: &str) -> Markup {
    html! { button.copy type="button" data-copy=(text) hidden aria-label=(label) { "Copy" } }
}

/// The frame around every page: the mount point, and where "Sign out" posts (if the
/// application gave one).
#[derive(Clone, Copy)]
pub(super) struct Frame<'a> {
    pub(super) base: &'a Base,
    pub(super) sign_out: Option<&'a str>,
}

/// A whole admin page: navigation (list, invite, rules, activity, funnel, sign-out), then
/// `body`. Every page is uncacheable, unframeable and loads nothing from anywhere.
pub(super) fn page(frame: Frame<'_>, status: StatusCode, title: &str, body: Markup) -> Response {
    let b = frame.base;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · invitations" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    nav.top aria-label="Admin" {
                        a href=(b.home()) { "Invitations" }
                        a href=(b.at("/new")) { "Invite" }
                        a href=(b.at("/rules")) { "Revoke by rule" }
                        a href=(b.at("/activity")) { "Activity" }
                        a href=(b.at("/funnel")) { "Funnel" }
                        @if let Some(out) = frame.sign_out {
                            form method="post" action=(out) {
                                button.link { "Sign out" }
                            }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let mut response = (status, Html(markup.into_string())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, csp().clone());
    let set = |headers: &mut ::axum::http::HeaderMap, name, value| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::CACHE_CONTROL, "no-store");
    response
}

#[cfg(test)]
mod tests {
    use maud::html;
    use time::OffsetDateTime;

    use super::when;

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    #[test]
    fn markup_escapes_what_html_gives_meaning_to() {
        let hostile = "<a href=\"x\">'&'</a>";
        let out = html! { p title=(hostile) { (hostile) } }.into_string();
        assert!(!out.contains("<a"), "{out}");
        assert!(out.contains("&lt;a href=&quot;x&quot;&gt;"), "{out}");
    }

    #[test]
    fn the_script_and_style_need_no_escaping() {
        // They are inserted as they are: nothing in them may close their element.
        for text in [super::STYLE, super::SCRIPT] {
            assert!(!text.contains("</"), "{text}");
        }
    }

    #[test]
    fn times_read_as_people_read_them() {
        let now = at(1795435200);
        assert_eq!(
            when(at(1796041500), now),
            "2026-11-30 12:25 UTC (in 7 days)"
        );
        assert_eq!(
            when(at(1795424400), now),
            "2026-11-23 09:00 UTC (3 hours ago)"
        );
        assert_eq!(
            when(at(1795435260), now),
            "2026-11-23 12:01 UTC (in 1 minute)"
        );
        assert_eq!(when(at(1795435220), now), "2026-11-23 12:00 UTC (just now)");
    }
}
