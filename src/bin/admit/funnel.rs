//! `admit funnel`: of the invitations issued in a period, how many were opened and redeemed,
//! per inviter, from the store's event log.

use std::io::Write as _;

use admit::store::{Events, Funnel, FunnelQuery, FunnelRow};
use clap::Args;
use serde_json::json;

use crate::Format;
use crate::records::csv_line;
use crate::store::{Connected, StoreArgs};
use crate::util::{CliError, fmt_time, parse_time};

#[derive(Args)]
pub(crate) struct FunnelArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Invitations issued from this time: 2026-12-01, 2026-12-01T09:00:00Z, Unix seconds, or
    /// -7d (seven days ago).
    #[arg(long, value_name = "TIME", default_value = "-7d")]
    from: String,
    /// Up to this time (not included), same forms; now by default.
    #[arg(long, value_name = "TIME", default_value = "now")]
    to: String,
    /// Only this inviter's invitations.
    #[arg(long, value_name = "NAME")]
    inviter: Option<String>,
    /// Output: text (a table), json (one object) or csv (a row per inviter, everyone first).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn funnel(args: FunnelArgs) -> Result<u8, CliError> {
    let from = parse_time("--from", &args.from)?;
    let to = parse_time("--to", &args.to)?;
    let mut query = FunnelQuery::new(from, to).map_err(|_| {
        CliError::usage(format!(
            "--from {} is not before --to {}: the period must end after it starts",
            fmt_time(from),
            fmt_time(to)
        ))
    })?;
    if let Some(inviter) = &args.inviter {
        query = query.inviter(inviter.clone());
    }
    let conn = Connected::required(&args.store)?;
    let funnel = conn
        .runtime
        .block_on(conn.store.funnel(&query))
        .map_err(|e| CliError::admit("funnel", &e))?;
    let text = match args.format {
        Format::Text => text(&funnel),
        Format::Json => json_text(&funnel)?,
        Format::Csv => csv_text(&funnel)?,
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::output(format!("writing to stdout: {e}")))?;
    Ok(0)
}

/// A rate as a percentage with one decimal, or `-` when there is nothing to divide by.
fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

fn name(row: &FunnelRow, total: bool) -> String {
    match (&row.inviter, total) {
        (Some(inviter), false) => inviter.clone(),
        (Some(inviter), true) => format!("{inviter} (all)"),
        (None, true) => "everyone".to_owned(),
        (None, false) => "(no inviter)".to_owned(),
    }
}

/// A table: a row for everyone, then one per inviter.
fn text(f: &Funnel) -> String {
    let mut out = format!(
        "Invitations issued from {} to {}; opened and redeemed until now.\n",
        fmt_time(f.from),
        fmt_time(f.to)
    );
    let rows: Vec<(String, &FunnelRow)> = core::iter::once((name(&f.total, true), &f.total))
        .chain(f.inviters.iter().map(|r| (name(r, false), r)))
        .collect();
    let width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        .max("inviter".len());
    out.push_str(&format!(
        "{:<width$}  {:>7}  {:>7} {:>7}  {:>8} {:>7}  {:>10}  {:>6}\n",
        "inviter", "issued", "opened", "", "redeemed", "", "conversion", "joined"
    ));
    for (label, r) in rows {
        out.push_str(&format!(
            "{label:<width$}  {:>7}  {:>7} {:>7}  {:>8} {:>7}  {:>10}  {:>6}\n",
            r.issued,
            r.opened,
            percent(r.open_rate()),
            r.redeemed,
            percent(r.redeem_rate()),
            percent(r.conversion()),
            r.joined,
        ));
    }
    if f.total.issued == 0 {
        out.push_str(
            "No invitation recorded with record_issued in this period (or its events are no \
             longer kept).\n",
        );
    }
    out
}

fn row_json(r: &FunnelRow) -> serde_json::Value {
    json!({
        "inviter": r.inviter,
        "issued": r.issued,
        "opened": r.opened,
        "redeemed": r.redeemed,
        "joined": r.joined,
        "open_rate": r.open_rate(),
        "redeem_rate": r.redeem_rate(),
        "conversion": r.conversion(),
    })
}

fn json_text(f: &Funnel) -> Result<String, CliError> {
    let value = json!({
        "from": fmt_time(f.from),
        "to": fmt_time(f.to),
        "total": row_json(&f.total),
        "inviters": f.inviters.iter().map(row_json).collect::<Vec<_>>(),
        "events_read": f.events_read,
    });
    serde_json::to_string_pretty(&value)
        .map(|s| s + "\n")
        .map_err(|e| CliError::output(format!("writing JSON: {e}")))
}

fn csv_text(f: &Funnel) -> Result<String, CliError> {
    let mut out = csv_line([
        "inviter",
        "issued",
        "opened",
        "redeemed",
        "joined",
        "open_rate",
        "redeem_rate",
        "conversion",
    ])?;
    let rate = |r: Option<f64>| r.map(|r| format!("{r:.4}")).unwrap_or_default();
    let rows = core::iter::once((name(&f.total, true), &f.total)).chain(
        f.inviters
            .iter()
            .map(|r| (r.inviter.clone().unwrap_or_default(), r)),
    );
    for (label, r) in rows {
        out.push_str(&csv_line([
            label,
            r.issued.to_string(),
            r.opened.to_string(),
            r.redeemed.to_string(),
            r.joined.to_string(),
            rate(r.open_rate()),
            rate(r.redeem_rate()),
            rate(r.conversion()),
        ])?);
    }
    Ok(out)
}
