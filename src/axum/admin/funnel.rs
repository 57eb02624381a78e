//! The Funnel page of the admin: of the invitations issued in a period, how many were opened
//! and redeemed, per inviter, with an inline SVG chart (no script).

use core::fmt::Write as _;

use ::axum::extract::{Query, State};
use ::axum::http::StatusCode;
use ::axum::response::Response;
use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime, Time};

use super::AdminUi;
use super::html::escape;
use crate::error::Error;
use crate::store::{Events, Funnel, FunnelQuery, FunnelRow, ShortCodes, Store, Visits};

/// The periods offered, in days.
const PERIODS: [i64; 4] = [7, 30, 90, 365];

/// The filters of the Funnel page.
#[derive(Deserialize, Default)]
pub(super) struct FunnelParams {
    #[serde(default)]
    days: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    inviter: String,
}

/// A date as `<input type="date">` sends it: `2026-12-01`.
fn date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

/// The period the page shows, and what was wrong with the one asked for.
fn period(q: &FunnelParams, now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime, Vec<&str>) {
    let mut problems = Vec::new();
    let (from, to) = (q.from.trim(), q.to.trim());
    if !from.is_empty() || !to.is_empty() {
        // Whole days in UTC; the end day is included.
        let start = date(from).map(|d| d.with_time(Time::MIDNIGHT).assume_utc());
        let end = date(to)
            .and_then(|d| d.next_day())
            .map(|d| d.with_time(Time::MIDNIGHT).assume_utc());
        match (start, end) {
            (Some(start), Some(end)) if start < end => return (start, end, problems),
            (Some(_), Some(_)) => problems.push("The period must end after it starts."),
            _ => problems.push("Give both dates as YYYY-MM-DD."),
        }
        problems.push("Showing the last 30 days instead.");
    }
    let days = match q.days.trim() {
        "" => 30,
        text => match text.parse::<i64>() {
            Ok(days) if PERIODS.contains(&days) => days,
            _ => {
                problems.push("Unknown period: showing the last 30 days.");
                30
            }
        },
    };
    (now - Duration::days(days), now, problems)
}

/// `GET /funnel`: issued → opened → redeemed for a period, in total and per inviter.
pub(super) async fn funnel<S: Store + ShortCodes + Visits + Events + Clone + 'static>(
    State(ui): State<AdminUi<S>>,
    Query(q): Query<FunnelParams>,
) -> Response {
    let ui = &ui.inner;
    let now = OffsetDateTime::now_utc();
    let (from, to, mut problems) = period(&q, now);
    let inviter = q.inviter.trim();
    let mut query = match FunnelQuery::new(from, to) {
        Ok(query) => query,
        Err(e) => return ui.failed(&e),
    };
    if !inviter.is_empty() {
        query = query.inviter(inviter);
    }
    let funnel = match ui.store.funnel(&query).await {
        Ok(funnel) => Some(funnel),
        Err(Error::InvalidArgument { .. }) => {
            problems.push("No inviter has that name (at most 64 bytes, no control characters).");
            None
        }
        Err(e) => return ui.failed(&e),
    };
    let b = escape(&ui.base);
    let mut out = String::new();
    for problem in problems {
        let _ = write!(out, "<p role=\"alert\">{}</p>", escape(problem));
    }
    let chosen_days = q.days.trim();
    let mut options = String::new();
    for days in PERIODS {
        let selected = if chosen_days == days.to_string() || (chosen_days.is_empty() && days == 30)
        {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            options,
            "<option value=\"{days}\"{selected}>last {days} days</option>"
        );
    }
    let _ = write!(
        out,
        "<form method=\"get\" action=\"{b}/funnel\" class=\"filters\">\
         <label>Period <select name=\"days\">{options}</select></label>\
         <label>Inviter <input name=\"inviter\" value=\"{}\" maxlength=\"64\"></label>\
         <button>Show</button></form>\
         <form method=\"get\" action=\"{b}/funnel\" class=\"filters\">\
         <label>From <input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>To <input type=\"date\" name=\"to\" value=\"{}\"></label>\
         <input type=\"hidden\" name=\"inviter\" value=\"{}\">\
         <button>Show these days</button></form>",
        escape(inviter),
        escape(q.from.trim()),
        escape(q.to.trim()),
        escape(inviter),
    );
    let _ = write!(
        out,
        "<p>Invitations issued from <strong>{}</strong> to <strong>{}</strong> (UTC), \
         opened and redeemed until now. An invitation counts as opened when its link was \
         visited or redeemed.</p>",
        day_and_time(from),
        day_and_time(to),
    );
    let Some(funnel) = funnel.filter(|f| f.total.issued > 0) else {
        out.push_str(
            "<p class=\"muted\">No invitation was issued in this period (or its events are no \
             longer kept).</p>",
        );
        return ui.page(StatusCode::OK, "Funnel", &out);
    };
    out.push_str(&chart(&funnel.total));
    out.push_str(&table(&ui.base, &funnel, inviter.is_empty()));
    ui.page(StatusCode::OK, "Funnel", &out)
}

fn day_and_time(t: OffsetDateTime) -> String {
    format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute())
}

/// A rate as a percentage with one decimal, or a dash.
fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// Three bars, issued → opened → redeemed, each as long as its share of issued, with its
/// count and rate beside it. 400 units wide, so it reads at about its own size on a phone.
fn chart(total: &FunnelRow) -> String {
    const LABEL: u64 = 80;
    const BAR: u64 = 180;
    let stages = [
        ("Issued", total.issued, None, "f-issued"),
        ("Opened", total.opened, total.open_rate(), "f-opened"),
        ("Redeemed", total.redeemed, total.conversion(), "f-redeemed"),
    ];
    let mut out = format!(
        "<figure class=\"funnel\"><svg viewBox=\"0 0 400 112\" role=\"img\" \
         aria-labelledby=\"funnel-title\"><title id=\"funnel-title\">Issued {}, opened {} ({}), \
         redeemed {} ({} of issued)</title>",
        total.issued,
        total.opened,
        percent(total.open_rate()),
        total.redeemed,
        percent(total.conversion()),
    );
    for (row, (name, count, rate, class)) in stages.into_iter().enumerate() {
        let y = 8 + row as u64 * 36;
        let width = if total.issued == 0 {
            0
        } else {
            (count * BAR)
                .div_ceil(total.issued)
                .max(u64::from(count > 0))
        };
        let share = rate.map_or_else(String::new, |r| format!(" · {}", percent(Some(r))));
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" class=\"f-text\">{name}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{width}\" height=\"24\" rx=\"3\" class=\"{class}\"/>\
             <text x=\"{}\" y=\"{}\" class=\"f-text\">{count}{share}</text>",
            y + 17,
            LABEL + width + 6,
            y + 17,
        );
    }
    out.push_str(
        "</svg><figcaption class=\"muted\">Bars are shares of the invitations issued; the \
         redeemed rate is the conversion of the whole funnel.</figcaption></figure>",
    );
    out
}

/// The numbers per inviter, everyone first.
fn table(base: &str, funnel: &Funnel, with_total: bool) -> String {
    let b = escape(base);
    let mut out = String::from(
        "<div class=\"wide\"><table><thead><tr><th scope=\"col\">Inviter</th>\
         <th scope=\"col\" class=\"num\">Issued</th><th scope=\"col\" class=\"num\">Opened</th>\
         <th scope=\"col\" class=\"num\">Redeemed</th>\
         <th scope=\"col\" class=\"num\">Conversion</th>\
         <th scope=\"col\" class=\"num\">Joined</th></tr></thead><tbody>",
    );
    let cells = |r: &FunnelRow| {
        format!(
            "<td class=\"num\">{}</td><td class=\"num\">{} <span class=\"muted\">{}</span></td>\
             <td class=\"num\">{} <span class=\"muted\">{}</span></td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td>",
            r.issued,
            r.opened,
            percent(r.open_rate()),
            r.redeemed,
            percent(r.redeem_rate()),
            percent(r.conversion()),
            r.joined,
        )
    };
    if with_total {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">Everyone</th>{}</tr>",
            cells(&funnel.total)
        );
    }
    for row in &funnel.inviters {
        let name = match &row.inviter {
            Some(inviter) => format!(
                "<a href=\"{b}/?inviter={}\">{}</a>",
                escape(&super::activity::query_value(inviter)),
                escape(inviter)
            ),
            None => "<span class=\"muted\">no inviter</span>".to_owned(),
        };
        let _ = write!(out, "<tr><th scope=\"row\">{name}</th>{}</tr>", cells(row));
    }
    out.push_str(
        "</tbody></table></div><p class=\"muted\">Opened: share of issued. Redeemed: share of \
         opened. Conversion: redeemed of issued. Joined: every redemption (a multi-use link \
         can bring many).</p>",
    );
    out
}
