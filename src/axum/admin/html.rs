//! The HTML the admin pages share: the page frame with its inline stylesheet, escaping, and
//! times as people read them. No JavaScript, no external assets.

use core::fmt::Write as _;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64_STANDARD;
use ed25519_dalek::{Digest as _, Sha512};

use ::axum::http::{HeaderValue, StatusCode, header};
use ::axum::response::{Html, IntoResponse, Response};
use time::{OffsetDateTime, UtcOffset};

/// The stylesheet, inline in every page (the Content-Security-Policy allows exactly this one by
/// its hash, so no other style, script or asset can load).
pub(super) const STYLE: &str = ":root{color-scheme:light dark;--fg:#1b1f24;--bg:#fafaf9;\
--muted:#57606a;--accent:#0b57d0;--line:#d0d7de;--bad:#b42318;--good:#1a7f37}\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9da7b3;\
--accent:#7cacf8;--line:#30363d;--bad:#ff8a80;--good:#56d364}}\
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);\
background:var(--bg)}main{max-width:64rem;margin:0 auto;padding:1.5rem 1rem}\
h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}\
a{color:var(--accent)}nav{margin:0 0 1rem}nav a{margin-right:1rem}\
label{display:block;margin:0 0 .8rem;font-weight:600}\
input,select{display:block;width:100%;max-width:28rem;margin-top:.25rem;padding:.5rem;\
font:inherit;border:1px solid var(--line);border-radius:.35rem;background:transparent;color:inherit}\
button{font:inherit;font-weight:600;padding:.5rem 1rem;border:0;border-radius:.35rem;\
background:var(--accent);color:#fff;cursor:pointer}button.danger{background:var(--bad)}\
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}\
table{width:100%;border-collapse:collapse;margin:0 0 1rem;font-size:.95rem}\
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}\
.id,code{font-family:ui-monospace,monospace;font-size:.9rem;word-break:break-all}\
.muted{color:var(--muted)}.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end}\
.filters label{margin:0}.once{padding:1rem;border:2px solid var(--accent);border-radius:.5rem}\
.num{text-align:right;white-space:nowrap}.wide{overflow-x:auto}.funnel{margin:1rem 0}\
.funnel svg{display:block;width:100%;max-width:30rem}.f-text{fill:var(--fg);font-size:15px}\
.f-issued{fill:var(--muted)}.f-opened{fill:var(--accent)}.f-redeemed{fill:var(--good)}";

/// The Content-Security-Policy: nothing loads, no script runs; the one inline stylesheet is
/// allowed by its SHA-512 hash; forms post only to this origin; no page can be framed.
fn csp() -> &'static HeaderValue {
    static CSP: OnceLock<HeaderValue> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = BASE64_STANDARD.encode(Sha512::digest(STYLE.as_bytes()));
        let policy = format!(
            "default-src 'none'; style-src 'sha512-{hash}'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        );
        HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
    })
}

/// `text` as HTML text or a quoted attribute value.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A time in UTC with how far it is from `now`: "2026-11-30 12:25 UTC (in 6 days)".
pub(super) fn when(t: OffsetDateTime, now: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
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
        "just now".to_owned()
    };
    let hint = match (span.as_str(), ahead) {
        ("just now", _) => span.clone(),
        (_, true) => format!("in {span}"),
        (_, false) => format!("{span} ago"),
    };
    format!(
        "{} {:02}:{:02} UTC ({hint})",
        t.date(),
        t.hour(),
        t.minute()
    )
}

/// The list's address: the mount point itself (`/admin`), or `/` when not nested.
pub(super) fn home(base: &str) -> String {
    if base.is_empty() {
        "/".to_owned()
    } else {
        base.to_owned()
    }
}

/// A whole admin page: navigation to the list, the invite form and the rules, then `body`.
/// Every page is uncacheable, unframeable and loads nothing from anywhere.
pub(super) fn page(base: &str, status: StatusCode, title: &str, body: &str) -> Response {
    let mut html = String::with_capacity(body.len() + STYLE.len() + 600);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · invitations</title><style>{STYLE}</style></head><body><main>\
         <nav aria-label=\"Admin\"><a href=\"{h}\">Invitations</a><a href=\"{b}/new\">Invite</a>\
         <a href=\"{b}/rules\">Revoke by rule</a><a href=\"{b}/activity\">Activity</a><a href=\"{b}/funnel\">Funnel</a></nav>\
         <h1>{t}</h1>{body}</main></body></html>",
        t = escape(title),
        b = escape(base),
        h = escape(&home(base)),
    );
    let mut response = (status, Html(html)).into_response();
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
    use time::OffsetDateTime;

    use super::{escape, when};

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    #[test]
    fn escapes_everything_html_gives_meaning_to() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
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
