//! The bodies of the admin pages, as maud markup: every value is escaped unless wrapped in
//! `PreEscaped`, which only the QR code's SVG is.

use maud::{Markup, PreEscaped, html};
use time::OffsetDateTime;

use super::html::{Base, copy_button, relative, when};
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

/// The first 8 hexadecimal digits of an ID: enough to tell rows apart by eye; the full ID is
/// on the detail page and behind the copy button.
fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

const STATES: [(&str, &str); 6] = [
    ("", "any state"),
    ("active", "active"),
    ("used_up", "used up"),
    ("revoked", "revoked (by ID or rule)"),
    ("revoked_by_rule", "revoked by a rule"),
    ("expired", "expired recently"),
];

/// How a state filter reads in a sentence: "used up".
fn state_label(state: &str) -> &'static str {
    STATES
        .iter()
        .find(|(value, _)| *value == state)
        .map_or("", |(_, label)| label)
}

/// What one page of the list shows, and the filters it was asked for.
pub(super) struct ListView<'a> {
    /// How many the store lists for the inviter and the search, in every state.
    pub(super) total: u64,
    /// Newest first (else soonest expiry first).
    pub(super) newest: bool,
    pub(super) inviter: &'a str,
    pub(super) search: &'a str,
    pub(super) state: &'a str,
    /// Whether this is the first page (no cursor).
    pub(super) first: bool,
    pub(super) page: &'a ListPage,
}

impl ListView<'_> {
    /// The list's address with these filters and `extra` query pairs.
    fn link(&self, base: &Base, extra: &str) -> String {
        self.link_in(base, self.newest, extra)
    }

    /// The list's address with these filters in one order.
    fn link_in(&self, base: &Base, newest: bool, extra: &str) -> String {
        format!(
            "{}?q={}&inviter={}&state={}{}{extra}",
            base.home(),
            query_escape(self.search),
            query_escape(self.inviter),
            query_escape(self.state),
            if newest { "" } else { "&order=expiry" },
        )
    }
}

/// The list: a filter form, one page of rows, links to the first and the next page.
pub(super) fn list(base: &Base, view: &ListView<'_>, now: OffsetDateTime) -> Markup {
    let shown = &view.page.shown;
    let searched = !view.search.is_empty() || !view.inviter.is_empty() || !view.state.is_empty();
    html! {
        form.filters method="get" action=(base.home()) role="search" {
            label { "Search " small { "(start of an email or inviter)" }
                input name="q" type="search" value=(view.search) maxlength="320"; }
            label { "Inviter " small { "(exact)" }
                input name="inviter" value=(view.inviter) maxlength="64"; }
            label { "State"
                select name="state" {
                    @for (value, label) in STATES {
                        option value=(value) selected[value == view.state] { (label) }
                    }
                }
            }
            @if !view.newest { input type="hidden" name="order" value="expiry"; }
            button { "Show" }
            @if searched { a href=(base.home()) { "Clear" } }
        }
        p.muted #list-count {
            @let total = group(usize::try_from(view.total).unwrap_or(usize::MAX));
            @let which = if view.search.is_empty() && view.inviter.is_empty() { "recorded" } else { "matching" };
            @if shown.is_empty() {
                "None found (" (total) " " (which) ")."
            } @else {
                "Showing " (shown.len())
                @if !view.state.is_empty() { " " (state_label(view.state)) }
                " of " (total) " " (which)
                @if view.first { " (first page)" } @else { " (a later page)" }
                "."
            }
            @if view.page.searched_out {
                " Looked through " (group(SCAN_BUDGET)) " invitations for this filter; the next \
                 page goes on from there."
            }
        }
        @if view.state != "expired" {
            p #list-order {
                "Order: "
                @if view.newest {
                    strong { "newest first" } " · " a href=(view.link_in(base, false, "")) { "soonest expiry first" }
                } @else {
                    a href=(view.link_in(base, true, "")) { "newest first" } " · " strong { "soonest expiry first" }
                }
            }
        }
        @if view.state == "expired" {
            p.muted { "A store forgets an invitation a while after it expires (an hour by \
                default), so only those that expired since are listed here." }
        }
        @if shown.is_empty() && view.first && !view.page.searched_out && !searched {
            p { a href=(base.at("/new")) { "Invite someone" } }
        }
        @if !shown.is_empty() {
            table.list {
                thead { tr {
                    th scope="col" { "ID" } th scope="col" { "For" } th scope="col" { "Inviter" }
                    th scope="col" { "Description" } th scope="col" { "Uses" }
                    th scope="col" { "Expires" } th scope="col" { "State" }
                } }
                tbody {
                    @for i in shown {
                        @let id = i.id.to_string();
                        @let email = i.email.as_deref().unwrap_or("anyone");
                        @let inviter = i.inviter.as_deref().unwrap_or("");
                        @let description = i.description.as_deref().unwrap_or("");
                        @let state = state_of(i, now);
                        tr {
                            td.id data-label="ID" {
                                span {
                                    a href=(base.at(&format!("/i/{id}"))) title=(id) { (short_id(&id)) "…" }
                                    (copy_button(&id, &format!("Copy the ID {id}")))
                                }
                            }
                            td data-label="For" { span.cut title=(email) { (email) } }
                            td data-label="Inviter" { span.cut title=(inviter) { (inviter) } }
                            td data-label="Description" { span.cut title=(description) { (description) } }
                            td.nowrap data-label="Uses" { span { (uses(i.uses, i.max_uses)) } }
                            td.nowrap data-label="Expires" {
                                @match i.expires_at {
                                    Some(t) => span title=(when(t, now)) { (relative(t, now)) },
                                    None => span { "never" },
                                }
                            }
                            td data-label="State" { span.cut title=(state) { (state) } }
                        }
                    }
                }
            }
        }
        @if !view.first || view.page.next.is_some() {
            nav aria-label="Pages" {
                @if !view.first { a href=(view.link(base, "")) { "← First page" } " " }
                @if let Some(next) = view.page.next {
                    a href=(view.link(base, &format!("&after={next}"))) { "Next page →" }
                }
            }
        }
    }
}

/// 10000 as "10,000".
pub(super) fn group(n: usize) -> String {
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
pub(super) fn query_escape(text: &str) -> String {
    use core::fmt::Write as _;
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

/// What the invite form holds: empty for a new one, what was typed after an error.
#[derive(Default, serde::Deserialize)]
pub(super) struct InviteFields {
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) max_uses: String,
    #[serde(default)]
    pub(super) days: String,
    #[serde(default)]
    pub(super) inviter: String,
    #[serde(default)]
    pub(super) description: String,
}

impl InviteFields {
    /// A new form: a one-time link for 7 days.
    pub(super) fn fresh() -> InviteFields {
        InviteFields {
            max_uses: "1".to_owned(),
            days: "7".to_owned(),
            ..InviteFields::default()
        }
    }
}

/// The invite form, holding `fields`.
pub(super) fn invite_form(base: &Base, fields: &InviteFields) -> Markup {
    html! {
        form method="post" action=(base.at("/invitations")) {
            label { "Email " small { "(optional: binds the invitation to this address)" }
                input name="email" type="email" autocomplete="off" value=(fields.email); }
            label { "Max uses " small { "(1: a one-time link; empty: unlimited)" }
                input name="max_uses" inputmode="numeric" pattern="[0-9]*" value=(fields.max_uses); }
            label { "Expires in, days " small { "(1 to 3650)" }
                input name="days" inputmode="numeric" pattern="[0-9]*" value=(fields.days); }
            label { "Inviter " small { "(optional)" }
                input name="inviter" maxlength="64" value=(fields.inviter); }
            label { "Description " small { "(optional, for this list)" }
                input name="description" maxlength="1024" value=(fields.description); }
            button { "Create invitation" }
        }
    }
}

/// A QR code of `link` as an inline SVG (black on white, for printing and phone cameras), or
/// nothing when the link is too long for one.
fn qr_code(link: &str) -> Option<Markup> {
    let code = qrcode::QrCode::with_error_correction_level(link, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(240, 240)
        .build();
    // The renderer starts with an XML declaration, which inline SVG does without.
    let svg = match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => return None,
    };
    // The SVG holds only rectangles and paths drawn from the code's modules: no text of the
    // link, nothing to escape.
    let svg = svg.replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"QR code of the link\"",
        1,
    );
    Some(
        html! { figure.qr { (PreEscaped(svg)) figcaption.muted { "The same link as a QR code, for print." } } },
    )
}

/// The page after minting: the link (wrapped, with a copy button and a QR code) and the short
/// code, shown this once.
pub(super) fn minted(
    base: &Base,
    invitation: &Invitation,
    link: &str,
    code: Option<&str>,
    now: OffsetDateTime,
) -> Markup {
    let id = invitation.id().to_string();
    let max = invitation.max_uses();
    html! {
        div.once {
            p { strong { "Send this link to the invitee." } " It is shown only now: copy it." }
            p {
                a id="invitation-link" href=(link) class="link-text" { (link) }
                button.copy type="button" data-copy=(link) hidden { "Copy link" }
            }
            @if let Some(code) = code {
                p { "Short code, to type in at the join page instead: "
                    code #invitation-code { (code) }
                    (copy_button(code, "Copy the short code")) }
            }
            @if let Some(qr) = qr_code(link) { (qr) }
        }
        p {
            "ID " a href=(base.at(&format!("/i/{id}"))) { span id="invitation-id" class="id" { (id) } }
            "; for " (invitation.email().unwrap_or("anyone"))
            "; " (max.map_or_else(|| "unlimited".to_owned(), |m| m.to_string()))
            @if max == Some(1) { " use" } @else { " uses" }
            "; expires " (expiry(invitation.expires_at(), now)) "."
        }
        p { a href=(base.at("/new")) { "Invite someone else" } " · " a href=(base.home()) { "Back to the list" } }
    }
}

/// One invitation: what the registry holds, uses, joiners (with the application's labels),
/// visits, and a revoke button (which asks first).
pub(super) fn detail(
    base: &Base,
    st: &Status,
    labels: &[Option<String>],
    visits: &[Visit],
    now: OffsetDateTime,
) -> Markup {
    if !st.known {
        return html! {
            p { "The store has no record of this invitation: never used, or expired and forgotten." }
        };
    }
    let state = match (&st.revoked_by_rule, st.revoked_at) {
        (Some(rule), _) => format!("revoked by a rule: {rule}"),
        (None, Some(at)) => format!("revoked {}", when(at, now)),
        (None, None) if st.is_used_up() => "used up".to_owned(),
        (None, None) => "active".to_owned(),
    };
    html! {
        table { tbody {
            tr { th scope="row" { "ID" } td.id { (st.id) (copy_button(&st.id.to_string(), "Copy the ID")) } }
            tr { th scope="row" { "Uses" } td { (uses(st.uses, st.max_uses)) } }
            tr { th scope="row" { "State" } td { (state) } }
            @if let Some(i) = &st.issued {
                tr { th scope="row" { "Issued" } td { (when(i.issued_at, now)) } }
                tr { th scope="row" { "Expires" } td { (expiry(i.expires_at, now)) } }
                tr { th scope="row" { "For" } td.id { (i.email.as_deref().unwrap_or("anyone")) } }
                tr { th scope="row" { "Inviter" } td.id { (i.inviter.as_deref().unwrap_or("")) } }
                tr { th scope="row" { "Description" } td.id { (i.description.as_deref().unwrap_or("")) } }
            }
        } }
        h2 { "Joined (" (st.joiners.len()) ")" }
        @if st.joiners.is_empty() {
            p.muted { "Nobody yet." }
        } @else {
            table { thead { tr { th scope="col" { "Who" } th scope="col" { "Joiner ID" } th scope="col" { "When" } } }
                tbody {
                    @for (k, j) in st.joiners.iter().enumerate() {
                        tr {
                            td.id { @match labels.get(k).and_then(Option::as_deref) {
                                Some(label) => (label),
                                None => span.muted { "unknown to the application" },
                            } }
                            td.id { (j.joiner) }
                            td { (when(j.joined_at, now)) }
                        }
                    }
                }
            }
        }
        h2 { "Visits (" (visits.len()) ")" }
        @if visits.is_empty() {
            p.muted { "None recorded." }
        } @else {
            table { tbody { @for v in visits { tr { td { (when(v.at, now)) } td.id { (v.metadata) } } } } }
        }
        @if st.revoked_at.is_none() {
            form method="post" action=(base.at(&format!("/i/{}/revoke", st.id))) {
                button.danger { "Revoke this invitation…" }
            }
        }
    }
}

/// The confirmation step of a single revocation.
pub(super) fn confirm_revoke(base: &Base, st: &Status, now: OffsetDateTime) -> Markup {
    let id = st.id.to_string();
    html! {
        p { "This revokes invitation " span.id { (id) } ", for good: its link and short code stop \
            working at once, and nobody else can join with it." }
        @if let Some(i) = &st.issued {
            ul {
                li { "For " (i.email.as_deref().unwrap_or("anyone")) }
                @if let Some(inviter) = &i.inviter { li { "Invited by " (inviter) } }
                li { "Used " (uses(st.uses, st.max_uses)) }
                li { "Expires " (expiry(i.expires_at, now)) }
            }
        }
        form method="post" action=(base.at(&format!("/i/{id}/revoke"))) {
            input type="hidden" name="confirm" value="yes";
            button.danger { "Revoke it" } " "
            a href=(base.at(&format!("/i/{id}"))) { "Cancel" }
        }
    }
}

/// The rules in force, and the form for a new one.
pub(super) fn rules(base: &Base, rules: &[RevocationRule], now: OffsetDateTime) -> Markup {
    html! {
        @if rules.is_empty() {
            p.muted { "No rules in force." }
        } @else {
            h2 { "In force" }
            ul { @for r in rules {
                li { "Every invitation issued before " (when(r.issued_before, now))
                    @if let Some(i) = &r.inviter { " by " (i) } }
            } }
        }
        h2 { "New rule" }
        p { "Revokes every invitation issued until now — everyone's, or one inviter's. It cannot \
            be undone; invitations minted afterwards are not affected. The next step shows how \
            many it will revoke." }
        form method="post" action=(base.at("/rules")) {
            label { "Inviter " small { "(exact; empty: everyone's invitations)" }
                input name="inviter" maxlength="64"; }
            button.danger { "Continue" }
        }
    }
}

/// How many active invitations a rule would revoke, as counted before it is confirmed.
pub(super) struct RuleReach {
    /// Recorded invitations, not yet expired or revoked, that the rule covers.
    pub(super) active: usize,
    /// Whether counting stopped at its budget (so there are at least that many).
    pub(super) more: bool,
}

/// The confirmation step of a rule: what exactly will be revoked, how many, and one button.
pub(super) fn confirm_rule(
    base: &Base,
    inviter: Option<&str>,
    reach: &RuleReach,
    now: OffsetDateTime,
) -> Markup {
    let count = format!(
        "{}{} active invitation{}",
        if reach.more { "at least " } else { "" },
        group(reach.active),
        if reach.active == 1 { "" } else { "s" }
    );
    html! {
        p { "This revokes "
            @match inviter { Some(i) => { strong { (i) } "'s" }, None => strong { "everyone's" } }
            " invitations issued before " (when(now, now)) ", for good." }
        p #rule-reach { strong { (count) } " recorded in this store will stop working now \
            (and any others issued before this time, recorded or not)." }
        form method="post" action=(base.at("/rules")) {
            input type="hidden" name="inviter" value=(inviter.unwrap_or(""));
            input type="hidden" name="before" value=(now.unix_timestamp_nanos() / 1_000_000);
            input type="hidden" name="confirm" value="yes";
            button.danger { "Revoke them" } " "
            a href=(base.at("/rules")) { "Cancel" }
        }
    }
}
