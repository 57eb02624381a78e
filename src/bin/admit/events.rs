//! `admit events`: the store's event log, to the end or followed as it grows.

use std::io::Write as _;

use admit::store::{Event, EventCursor, EventFilter, EventKind, EventType, Events};
use admit::{Error, InvitationId};
use clap::Args;

use crate::Format;
use crate::records::csv_line;
use crate::store::{Connected, StoreArgs};
use crate::util::{CliError, fmt_time};

#[derive(Args)]
pub(crate) struct EventsArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// After printing the log to its end, wait for new events and print them as they come,
    /// until interrupted (Ctrl-C or SIGTERM: exits 0 and names the cursor to resume from).
    #[arg(long)]
    follow: bool,
    /// Start after this event: a cursor that an earlier run printed.
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    /// Only events of this invitation (its 24-digit ID).
    #[arg(long, value_name = "ID")]
    invitation: Option<String>,
    /// Only events of this inviter's invitations.
    #[arg(long, value_name = "NAME")]
    inviter: Option<String>,
    /// Only events of these kinds (repeat it, or separate with commas): issued, visited,
    /// redeemed, exhausted, revoked, rule_added, code_created.
    #[arg(long = "kind", value_name = "KIND", value_delimiter = ',')]
    kinds: Vec<String>,
    /// At most this many events (without --follow); then the cursor to go on from is printed
    /// on stderr.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Output: text, json (one object per line, the webhook payload's shape) or csv.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// The CSV header of `events`.
const COLUMNS: [&str; 14] = [
    "cursor",
    "timestamp",
    "type",
    "invitation",
    "inviter",
    "actor",
    "joiner",
    "uses",
    "max_uses",
    "expires_at",
    "cutoff",
    "email",
    "description",
    "metadata",
];

pub(crate) fn events(args: EventsArgs) -> Result<u8, CliError> {
    let filter = filter(&args)?;
    if args.follow && args.limit.is_some() {
        return Err(CliError::usage("--limit and --follow do not go together"));
    }
    let conn = Connected::required(&args.store)?;
    let mut out = Output {
        format: args.format,
        printed: 0,
        last: filter.cursor(),
    };
    out.header()?;
    let run = async {
        let mut filter = filter;
        // To the end of the log.
        loop {
            let want = args.limit.map_or(1000, |l| (l - out.printed).min(1000));
            if want == 0 {
                if let Some(last) = out.last {
                    eprintln!("more: admit events --after {last}");
                }
                return Ok(());
            }
            let page = conn.store.events(&filter.clone().limit(want)).await?;
            out.print(&page)?;
            match page.last() {
                Some(last) if page.len() == want => filter = filter.after(last.cursor),
                _ => break,
            }
        }
        if !args.follow {
            return Ok(());
        }
        loop {
            if let Some(last) = out.last {
                filter = filter.after(last);
            }
            let page = conn.store.next_events(&filter.clone().limit(1000)).await?;
            out.print(&page)?;
        }
    };
    let outcome = conn.runtime.block_on(async {
        tokio::select! {
            done = run => done,
            () = stopped() => Ok::<(), Stop>(()),
        }
    });
    match outcome {
        Ok(()) => {}
        Err(Stop::Store(e)) => return Err(CliError::admit("events", &e)),
        Err(Stop::Output(e)) => return Err(e),
    }
    if args.follow {
        match out.last {
            Some(last) => eprintln!("stopped; resume with: admit events --follow --after {last}"),
            None => eprintln!("stopped before any event"),
        }
    } else if out.printed == 0 && args.format == Format::Text {
        eprintln!("no events");
    }
    Ok(0)
}

/// Why the reading stopped early.
enum Stop {
    Store(Error),
    Output(CliError),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Store(e)
    }
}

impl From<CliError> for Stop {
    fn from(e: CliError) -> Stop {
        Stop::Output(e)
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn filter(args: &EventsArgs) -> Result<EventFilter, CliError> {
    let mut filter = EventFilter::new();
    if let Some(after) = &args.after {
        let cursor = after.parse::<EventCursor>().map_err(|_| {
            CliError::usage(format!(
                "--after {after:?}: expected a cursor such as 1765101000000-0, as printed by \
                 an earlier run"
            ))
        })?;
        filter = filter.after(cursor);
    }
    if let Some(id) = &args.invitation {
        let id = id.parse::<InvitationId>().map_err(|_| {
            CliError::usage(format!("--invitation {id:?}: expected a 24-digit hex ID"))
        })?;
        filter = filter.invitation(id);
    }
    if let Some(inviter) = &args.inviter {
        filter = filter.inviter(inviter.clone());
    }
    let kinds = args
        .kinds
        .iter()
        .map(|k| {
            k.trim().parse::<EventType>().map_err(|_| {
                CliError::usage(format!(
                    "--kind {k:?}: expected issued, visited, redeemed, exhausted, revoked, \
                     rule_added or code_created"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if args.limit == Some(0) {
        return Err(CliError::usage("--limit must be at least 1"));
    }
    Ok(filter.types(kinds))
}

struct Output {
    format: Format,
    printed: usize,
    last: Option<EventCursor>,
}

impl Output {
    fn header(&self) -> Result<(), CliError> {
        if self.format == Format::Csv {
            print!("{}", csv_line(COLUMNS)?);
        }
        Ok(())
    }

    /// Prints a page and flushes it: a follower's reader sees each event as it comes.
    fn print(&mut self, page: &[Event]) -> Result<(), CliError> {
        let mut stdout = std::io::stdout().lock();
        for event in page {
            let line = match self.format {
                Format::Json => {
                    let json = serde_json::to_string(event)
                        .map_err(|e| CliError::output(format!("writing JSON: {e}")))?;
                    json + "\n"
                }
                Format::Csv => csv_line(row(event))?,
                Format::Text => text(event) + "\n",
            };
            stdout
                .write_all(line.as_bytes())
                .map_err(|e| CliError::output(format!("writing to stdout: {e}")))?;
            self.printed += 1;
            self.last = Some(event.cursor);
        }
        stdout
            .flush()
            .map_err(|e| CliError::output(format!("writing to stdout: {e}")))
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// One line: when, what, which invitation, the kind's fields, inviter, by whom, cursor.
fn text(e: &Event) -> String {
    let invitation = e
        .invitation
        .map_or_else(|| "-".to_owned(), |id| id.to_string());
    let mut line = format!("{} {:<12} {invitation}", fmt_time(e.at), e.event_type());
    let detail = e.details(fmt_time);
    if !detail.is_empty() {
        line.push(' ');
        line.push_str(&detail);
    }
    if let Some(inviter) = e.inviter.as_ref().filter(|_| e.invitation.is_some()) {
        line.push_str(&format!(" [inviter {inviter}]"));
    }
    if let Some(actor) = &e.actor {
        line.push_str(&format!(" [by {actor}]"));
    }
    line.push_str(&format!(" @{}", e.cursor));
    line
}

fn row(e: &Event) -> [String; 14] {
    let mut r: [String; 14] = Default::default();
    r[0] = e.cursor.to_string();
    r[1] = fmt_time(e.at);
    r[2] = e.event_type().to_string();
    r[3] = e.invitation.map(|id| id.to_string()).unwrap_or_default();
    r[4] = opt(&e.inviter);
    r[5] = opt(&e.actor);
    let n = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    match &e.kind {
        EventKind::Issued {
            expires_at,
            max_uses,
            email,
            description,
        } => {
            r[8] = n(*max_uses);
            r[9] = expires_at.map(fmt_time).unwrap_or_default();
            r[11] = opt(email);
            r[12] = opt(description);
        }
        EventKind::Visited { metadata } => r[13] = metadata.clone(),
        EventKind::Redeemed {
            joiner,
            uses,
            max_uses,
        } => {
            r[6] = joiner.clone();
            r[7] = uses.to_string();
            r[8] = n(*max_uses);
        }
        EventKind::Exhausted { max_uses } => r[8] = max_uses.to_string(),
        EventKind::RuleAdded { cutoff } => r[10] = fmt_time(*cutoff),
        _ => {}
    }
    r
}
