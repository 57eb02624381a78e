//! The Funnel page of the admin: of the invitations issued in a period, how many were opened
//! and redeemed, per inviter, with an inline SVG chart (no script).

use ::axum::extract::{Query, State};
use ::axum::http::StatusCode;
use ::axum::response::Response;
use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime, Time};

use super::AdminUi;
use super::html::Base;
use crate::error::Error;
use crate::store::{Events, Funnel, FunnelQuery, FunnelRow, ShortCodes, Store, Visits};
use maud::{Markup, html};

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
    base: Base,
    Query(q): Query<FunnelParams>,
) -> Response {
    let ui = &ui.inner;
    let now = OffsetDateTime::now_utc();
    let (from, to, mut problems) = period(&q, now);
    let inviter = q.inviter.trim();
    let mut query = match FunnelQuery::new(from, to) {
        Ok(query) => query,
        Err(e) => return ui.failed(&base, &e),
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
        Err(e) => return ui.failed(&base, &e),
    };
    let chosen_days = q.days.trim();
    let funnel = funnel.filter(|f| f.total.issued > 0);
    let body = html! {
        @for problem in problems { p role="alert" { (problem) } }
        form.filters method="get" action=(base.at("/funnel")) {
            label { "Period" select name="days" {
                @for days in PERIODS {
                    option value=(days)
                        selected[chosen_days == days.to_string() || (chosen_days.is_empty() && days == 30)]
                        { "last " (days) " days" }
                }
            } }
            label { "Inviter" input name="inviter" value=(inviter) maxlength="64"; }
            button { "Show" }
        }
        form.filters method="get" action=(base.at("/funnel")) {
            label { "From" input type="date" name="from" value=(q.from.trim()); }
            label { "To" input type="date" name="to" value=(q.to.trim()); }
            input type="hidden" name="inviter" value=(inviter);
            button { "Show these days" }
        }
        p { "Invitations issued from " strong { (day_and_time(from)) } " to "
            strong { (day_and_time(to)) } " (UTC), opened and redeemed until now. An invitation \
            counts as opened when its link was visited or redeemed." }
        @match &funnel {
            Some(funnel) => { (chart(&funnel.total)) (table(&base, funnel, inviter.is_empty())) }
            None => p.muted { "No invitation was issued in this period (or its events are no \
                longer kept)." },
        }
    };
    ui.page(&base, StatusCode::OK, "Funnel", body)
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
fn chart(total: &FunnelRow) -> Markup {
    const LABEL: u64 = 80;
    const BAR: u64 = 180;
    let stages = [
        ("Issued", total.issued, None, "f-issued"),
        ("Opened", total.opened, total.open_rate(), "f-opened"),
        ("Redeemed", total.redeemed, total.conversion(), "f-redeemed"),
    ];
    let title = format!(
        "Issued {}, opened {} ({}), redeemed {} ({} of issued)",
        total.issued,
        total.opened,
        percent(total.open_rate()),
        total.redeemed,
        percent(total.conversion()),
    );
    html! {
        figure.funnel {
            svg viewBox="0 0 400 112" role="img" aria-labelledby="funnel-title" {
                title #funnel-title { (title) }
                @for (row, (name, count, rate, class)) in stages.into_iter().enumerate() {
                    @let y = 8 + row as u64 * 36;
                    @let width = if total.issued == 0 { 0 } else {
                        (count * BAR).div_ceil(total.issued).max(u64::from(count > 0))
                    };
                    text x="0" y=(y + 17) class="f-text" { (name) }
                    rect x=(LABEL) y=(y) width=(width) height="24" rx="3" class=(class) {}
                    text x=(LABEL + width + 6) y=(y + 17) class="f-text" {
                        (count) @if let Some(r) = rate { " · " (percent(Some(r))) }
                    }
                }
            }
            figcaption.muted { "Bars are shares of the invitations issued; the redeemed rate is \
                the conversion of the whole funnel." }
        }
    }
}

/// The numbers per inviter, everyone first.
fn table(base: &Base, funnel: &Funnel, with_total: bool) -> Markup {
    let cells = |r: &FunnelRow| {
        html! {
            td.num { (r.issued) }
            td.num { (r.opened) " " span.muted { (percent(r.open_rate())) } }
            td.num { (r.redeemed) " " span.muted { (percent(r.redeem_rate())) } }
            td.num { (percent(r.conversion())) }
            td.num { (r.joined) }
        }
    };
    html! {
        div.wide { table {
            thead { tr { th scope="col" { "Inviter" } th.num scope="col" { "Issued" }
                th.num scope="col" { "Opened" } th.num scope="col" { "Redeemed" }
                th.num scope="col" { "Conversion" } th.num scope="col" { "Joined" } } }
            tbody {
                @if with_total { tr { th scope="row" { "Everyone" } (cells(&funnel.total)) } }
                @for row in &funnel.inviters {
                    tr {
                        th scope="row" { @match &row.inviter {
                            Some(inviter) => a href=(format!("{}?inviter={}", base.home(),
                                super::pages::query_escape(inviter))) { (inviter) },
                            None => span.muted { "no inviter" },
                        } }
                        (cells(row))
                    }
                }
            }
        } }
        p.muted { "Opened: share of issued. Redeemed: share of opened. Conversion: redeemed of \
            issued. Joined: every redemption (a multi-use link can bring many)." }
    }
}
