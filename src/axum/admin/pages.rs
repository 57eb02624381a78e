//! The bodies of the admin pages. Every value from a store or a form goes through `escape`.

use core::fmt::Write as _;

use time::OffsetDateTime;

use super::html::{escape, home, when};
use super::{ListPage, SCAN_BUDGET};
use crate::invitation::Invitation;
use crate::store::{IssuedInvitation, RevocationRule, Status, Visit};

/// "active", "used up", "expired", "revoked", or the rule that revoked it.
fn state_of(i: &IssuedInvitation, now: OffsetDateTime) -> String {
    match (&i.revoked_by_rule, i.revoked_at) {
        (Some(rule), _) => format!("revoked: {rule}"),
        (None, Some(_)) => "revoked".to_owned(),
        (None, None) if i.is_expired(now) => "expired".to_owned(),
        (None, None) if i.is_used_up() => "used up".to_owned(),
        (None, None) => "active".to_owned(),
    }
}

fn uses(uses: u32, max: Option<u32>) -> String {
    match max {
        Some(max) => format!("{uses} of {max}"),
        None => uses.to_string(),
    }
}

fn expiry(t: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    t.map_or_else(|| "never".to_owned(), |t| when(t, now))
}

const STATES: [(&str, &str); 6] = [
    ("", "any state"),
    ("active", "active"),
    ("used_up", "used up"),
    ("revoked", "revoked"),
    ("revoked_by_rule", "revoked by a rule"),
    ("expired", "expired recently"),
];

/// What one page of the list shows, and the filters it was asked for.
pub(super) struct ListView<'a> {
    pub(super) inviter: &'a str,
    pub(super) state: &'a str,
    /// Whether this is the first page (no cursor).
    pub(super) first: bool,
    pub(super) page: &'a ListPage,
}

/// The list: a filter form, one page of rows, links to the first and the next page.
pub(super) fn list(base: &str, view: &ListView<'_>, now: OffsetDateTime) -> String {
    let b = escape(base);
    let h = escape(&home(base));
    let shown = &view.page.shown;
    let mut out = String::new();
    let _ = write!(
        out,
        "<form method=\"get\" action=\"{h}\" class=\"filters\">\
         <label>Inviter <input name=\"inviter\" value=\"{}\"></label>\
         <label>State <select name=\"state\">",
        escape(view.inviter)
    );
    for (value, label) in STATES {
        let selected = if value == view.state { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{value}\"{selected}>{label}</option>");
    }
    out.push_str("</select></label><button>Filter</button></form>");
    let _ = write!(
        out,
        "<p class=\"muted\">{} invitation{}{}.{}</p>",
        shown.len(),
        if shown.len() == 1 { "" } else { "s" },
        if view.first { "" } else { " on this page" },
        if view.page.searched_out {
            format!(
                " Looked through {} invitations for this filter; the next page goes on \
                 from there.",
                group(SCAN_BUDGET)
            )
        } else {
            String::new()
        }
    );
    if view.state == "expired" {
        out.push_str(
            "<p class=\"muted\">A store forgets an invitation a while after it expires (an \
             hour by default), so only those that expired since are listed here.</p>",
        );
    }
    if shown.is_empty() && view.first && !view.page.searched_out {
        let _ = write!(out, "<p><a href=\"{b}/new\">Invite someone</a></p>");
        return out;
    }
    if !shown.is_empty() {
        out.push_str(
            "<table><thead><tr><th scope=\"col\">ID</th><th scope=\"col\">For</th>\
             <th scope=\"col\">Inviter</th><th scope=\"col\">Description</th>\
             <th scope=\"col\">Uses</th><th scope=\"col\">Expires</th>\
             <th scope=\"col\">State</th></tr></thead><tbody>",
        );
    }
    for i in shown {
        let _ = write!(
            out,
            "<tr><td class=\"id\"><a href=\"{b}/i/{id}\">{id}</a></td><td>{}</td><td>{}</td>\
             <td>{}</td><td class=\"uses\">{}</td><td>{}</td><td class=\"state\">{}</td></tr>",
            escape(i.email.as_deref().unwrap_or("anyone")),
            escape(i.inviter.as_deref().unwrap_or("")),
            escape(i.description.as_deref().unwrap_or("")),
            uses(i.uses, i.max_uses),
            expiry(i.expires_at, now),
            escape(&state_of(i, now)),
            id = i.id,
        );
    }
    if !shown.is_empty() {
        out.push_str("</tbody></table>");
    }
    if !view.first || view.page.next.is_some() {
        let link = |after: &str, label: &str| {
            format!(
                "<a href=\"{h}?inviter={}&amp;state={}{after}\">{label}</a>",
                escape(&query_escape(view.inviter)),
                escape(&query_escape(view.state)),
            )
        };
        out.push_str("<nav aria-label=\"Pages\">");
        if !view.first {
            out.push_str(&link("", "← First page"));
        }
        if let Some(next) = view.page.next {
            out.push(' ');
            out.push_str(&link(&format!("&amp;after={next}"), "Next page →"));
        }
        out.push_str("</nav>");
    }
    out
}

/// 10000 as "10,000".
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Percent-encodes a query value (everything but unreserved characters).
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The invite form.
pub(super) fn invite_form(base: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}/invitations\">\
         <label>Email (optional: binds the invitation to this address)\
         <input name=\"email\" type=\"email\" autocomplete=\"off\"></label>\
         <label>Max uses (optional: unlimited if empty)\
         <input name=\"max_uses\" inputmode=\"numeric\" pattern=\"[0-9]*\"></label>\
         <label>Expires in, days <input name=\"days\" inputmode=\"numeric\" value=\"7\"></label>\
         <label>Inviter (optional) <input name=\"inviter\"></label>\
         <label>Description (optional, for this list) <input name=\"description\" \
         maxlength=\"1024\"></label><button>Create invitation</button></form>",
        escape(base)
    )
}

/// The page after minting: the link and the short code, shown this once.
pub(super) fn minted(
    base: &str,
    invitation: &Invitation,
    link: &str,
    code: Option<&str>,
    now: OffsetDateTime,
) -> String {
    let mut out = String::from("<div class=\"once\">");
    let _ = write!(
        out,
        "<p>Send this link to the invitee. It is shown only now: copy it.</p>\
         <p><a id=\"invitation-link\" href=\"{l}\">{l}</a></p>",
        l = escape(link)
    );
    if let Some(code) = code {
        let _ = write!(
            out,
            "<p>Short code, to type in instead: <code id=\"invitation-code\">{}</code></p>",
            escape(code)
        );
    }
    let _ = write!(
        out,
        "</div><p>ID <a href=\"{}/i/{id}\"><span id=\"invitation-id\" class=\"id\">{id}</span>\
         </a>; for {}; {} use{}; expires {}.</p>",
        escape(base),
        escape(invitation.email().unwrap_or("anyone")),
        invitation
            .max_uses()
            .map_or_else(|| "unlimited".to_owned(), |m| m.to_string()),
        if invitation.max_uses() == Some(1) {
            ""
        } else {
            "s"
        },
        expiry(invitation.expires_at(), now),
        id = invitation.id(),
    );
    out
}

/// One invitation: what the registry holds, uses, joiners, visits, and a revoke button.
pub(super) fn detail(base: &str, st: &Status, visits: &[Visit], now: OffsetDateTime) -> String {
    let mut out = String::new();
    if !st.known {
        out.push_str(
            "<p>The store has no record of this invitation: never used, or expired and \
             forgotten.</p>",
        );
        return out;
    }
    out.push_str("<table><tbody>");
    let mut row = |name: &str, value: String| {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{name}</th><td>{value}</td></tr>"
        );
    };
    row("Uses", uses(st.uses, st.max_uses));
    let state = match (&st.revoked_by_rule, st.revoked_at) {
        (Some(rule), _) => format!("revoked by a rule: {}", escape(&rule.to_string())),
        (None, Some(at)) => format!("revoked {}", when(at, now)),
        (None, None) if st.is_used_up() => "used up".to_owned(),
        (None, None) => "active".to_owned(),
    };
    row("State", state);
    if let Some(i) = &st.issued {
        row("Issued", when(i.issued_at, now));
        row("Expires", expiry(i.expires_at, now));
        row("For", escape(i.email.as_deref().unwrap_or("anyone")));
        row("Inviter", escape(i.inviter.as_deref().unwrap_or("")));
        row(
            "Description",
            escape(i.description.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</tbody></table>");
    let _ = write!(out, "<h2>Joined ({})</h2>", st.joiners.len());
    if st.joiners.is_empty() {
        out.push_str("<p class=\"muted\">Nobody yet.</p>");
    } else {
        out.push_str("<table><tbody>");
        for j in &st.joiners {
            let _ = write!(
                out,
                "<tr><td class=\"id\">{}</td><td>{}</td></tr>",
                escape(&j.joiner),
                when(j.joined_at, now)
            );
        }
        out.push_str("</tbody></table>");
    }
    let _ = write!(out, "<h2>Visits ({})</h2>", visits.len());
    if visits.is_empty() {
        out.push_str("<p class=\"muted\">None recorded.</p>");
    } else {
        out.push_str("<table><tbody>");
        for v in visits {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td></tr>",
                when(v.at, now),
                escape(&v.metadata)
            );
        }
        out.push_str("</tbody></table>");
    }
    if st.revoked_at.is_none() {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"{}/i/{}/revoke\"><button class=\"danger\">\
             Revoke this invitation</button></form>",
            escape(base),
            st.id
        );
    }
    out
}

/// The rules in force, and the form for a new one.
pub(super) fn rules(base: &str, rules: &[RevocationRule], now: OffsetDateTime) -> String {
    let mut out = String::new();
    if rules.is_empty() {
        out.push_str("<p class=\"muted\">No rules in force.</p>");
    } else {
        out.push_str("<h2>In force</h2><ul>");
        for r in rules {
            let _ = write!(
                out,
                "<li>Every invitation issued before {}{}</li>",
                when(r.issued_before, now),
                r.inviter
                    .as_deref()
                    .map(|i| format!(" by {}", escape(i)))
                    .unwrap_or_default()
            );
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        "<h2>New rule</h2><p>Revokes every invitation issued until now — everyone's, or one \
         inviter's. It cannot be undone; invitations minted afterwards are not affected.</p>\
         <form method=\"post\" action=\"{}/rules\">\
         <label>Inviter (empty: everyone's invitations) <input name=\"inviter\"></label>\
         <button class=\"danger\">Continue</button></form>",
        escape(base)
    );
    out
}

/// The confirmation step of a rule: what exactly will be revoked, and one button.
pub(super) fn confirm_rule(base: &str, inviter: Option<&str>, now: OffsetDateTime) -> String {
    let whose = inviter.map_or_else(
        || "<strong>everyone's</strong>".to_owned(),
        |i| format!("<strong>{}</strong>'s", escape(i)),
    );
    format!(
        "<p>This revokes {whose} invitations issued before {}, for good.</p>\
         <form method=\"post\" action=\"{}/rules\">\
         <input type=\"hidden\" name=\"inviter\" value=\"{}\">\
         <input type=\"hidden\" name=\"before\" value=\"{}\">\
         <input type=\"hidden\" name=\"confirm\" value=\"yes\">\
         <button class=\"danger\">Revoke them</button> <a href=\"{b}/rules\">Cancel</a></form>",
        when(now, now),
        escape(base),
        escape(inviter.unwrap_or("")),
        now.unix_timestamp_nanos() / 1_000_000,
        b = escape(base),
    )
}
