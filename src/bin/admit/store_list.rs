//! `admit list`: recorded invitations, a page at a time or all of them.

use admit::store::{IssuedInvitation, ListCursor, ListFilter, Store};
use clap::{Args, ValueEnum as _};
use time::OffsetDateTime;

use crate::Format;
use crate::progress::Progress;
use crate::records::csv_line;
use crate::store::{Connected, StoreArgs, rule_json};
use crate::util::{CliError, fmt_time};

#[derive(Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only invitations of this inviter.
    #[arg(long, value_name = "NAME")]
    inviter: Option<String>,
    /// At most this many (1 to 1000); with --all, how many each call to the store reads.
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// Start after this place in the list: the value a full page printed on stderr.
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    /// Every page, to the end of the list.
    #[arg(long)]
    all: bool,
    /// Expired invitations too, first, while the store remembers them.
    #[arg(long)]
    expired: bool,
    /// Most recently issued first (the default is soonest expiry first).
    #[arg(long)]
    newest: bool,
    /// Only those whose email or inviter starts with this, in any case.
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Output: text, json (one object per line) or csv (a header, then one row each).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// The CSV header of `list`: the fields of its JSON lines.
const LIST_COLUMNS: [&str; 12] = [
    "id",
    "issued_at",
    "expires_at",
    "expired",
    "email",
    "inviter",
    "description",
    "uses",
    "max_uses",
    "revoked_at",
    "revoked_by_rule",
    "cursor",
];

pub(crate) fn list(args: ListArgs) -> Result<u8, CliError> {
    let mut filter = ListFilter::new().limit(args.limit);
    if let Some(i) = &args.inviter {
        filter = filter.inviter(i.clone());
    }
    if let Some(after) = &args.after {
        let cursor = after.parse::<ListCursor>().map_err(|_| {
            CliError::usage(format!(
                "--after {after:?}: expected <expiry>.<issued>.<invitation ID> (the expiry \
                 in unix seconds or never), as a full page prints on stderr"
            ))
        })?;
        filter = filter.after(cursor);
    }
    if args.expired {
        filter = filter.include_expired();
    }
    if args.newest {
        filter = filter.newest_first();
    }
    if let Some(search) = &args.search {
        filter = filter.search(search);
    }
    let conn = Connected::required(&args.store)?;
    let now = OffsetDateTime::now_utc();
    let mut listed = 0usize;
    // Every page can be many: a counter on a terminal (nothing when piped).
    let progress = args.all.then(|| Progress::new("listed", None));
    if args.format == Format::Csv {
        print!("{}", csv_line(LIST_COLUMNS)?);
    }
    loop {
        let page = conn
            .runtime
            .block_on(conn.store.list(&filter))
            .map_err(|e| CliError::admit("list", &e))?;
        for i in &page {
            print(i, args.format, now)?;
        }
        listed += page.len();
        if let Some(progress) = &progress {
            progress.add(page.len() as u64);
        }
        let next = (page.len() == args.limit)
            .then(|| page.last().map(IssuedInvitation::cursor))
            .flatten();
        match next {
            Some(next) if args.all => filter = filter.after(next),
            Some(next) => {
                eprintln!(
                    "more: {} (or --all)",
                    next_command(&args, &next.to_string())
                );
                break;
            }
            None => break,
        }
    }
    if let Some(progress) = &progress {
        progress.finish();
    }
    if listed == 0 && args.format == Format::Text {
        eprintln!("no recorded invitations");
    }
    Ok(0)
}

fn print(i: &IssuedInvitation, format: Format, now: OffsetDateTime) -> Result<(), CliError> {
    let expires = i.expires_at.map_or_else(|| "never".to_owned(), fmt_time);
    let uses = match i.max_uses {
        Some(m) => format!("{}/{m}", i.uses),
        None => i.uses.to_string(),
    };
    match format {
        Format::Csv => print!(
            "{}",
            csv_line([
                i.id.to_string(),
                fmt_time(i.issued_at),
                i.expires_at.map(fmt_time).unwrap_or_default(),
                i.is_expired(now).to_string(),
                i.email.clone().unwrap_or_default(),
                i.inviter.clone().unwrap_or_default(),
                i.description.clone().unwrap_or_default(),
                i.uses.to_string(),
                i.max_uses.map(|m| m.to_string()).unwrap_or_default(),
                i.revoked_at.map(fmt_time).unwrap_or_default(),
                i.revoked_by_rule
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                i.cursor().to_string(),
            ])?
        ),
        Format::Json => println!(
            "{}",
            serde_json::json!({
                "id": i.id.to_string(),
                "issued_at": fmt_time(i.issued_at),
                "expires_at": i.expires_at.map(fmt_time),
                "expired": i.is_expired(now),
                "email": i.email,
                "inviter": i.inviter,
                "description": i.description,
                "uses": i.uses,
                "max_uses": i.max_uses,
                "revoked_at": i.revoked_at.map(fmt_time),
                "revoked_by_rule": i.revoked_by_rule.as_ref().map(rule_json),
                "cursor": i.cursor().to_string(),
            })
        ),
        Format::Text => println!(
            "{}  expires {expires}  uses {uses}{}  {}{}{}",
            i.id,
            match (&i.revoked_by_rule, i.revoked_at) {
                (Some(rule), _) => format!("  REVOKED ({rule})"),
                (None, Some(_)) => "  REVOKED".to_owned(),
                (None, None) if i.is_expired(now) => "  EXPIRED".to_owned(),
                (None, None) => String::new(),
            },
            i.inviter
                .as_deref()
                .map(|v| format!("by {v}  "))
                .unwrap_or_default(),
            i.email
                .as_deref()
                .map(|v| format!("for {v}  "))
                .unwrap_or_default(),
            i.description.as_deref().unwrap_or_default(),
        ),
    }
    Ok(())
}

/// `text` as one shell word: as it is when it is plain, else in single quotes.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:/@%+=".contains(&b));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Whether a store URL carries a password (`scheme://user:password@host…`).
fn holds_password(url: &str) -> bool {
    url.split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .is_some_and(|authority| {
            authority
                .rsplit_once('@')
                .is_some_and(|(user, _)| user.contains(':'))
        })
}

/// The command that lists the next page: the same store, inviter, limit, expired and format,
/// from `after`. A store URL that came from the environment stays there; one with a password
/// is never printed.
fn next_command(args: &ListArgs, after: &str) -> String {
    let mut words = vec!["admit".to_owned(), "list".to_owned()];
    let given = args
        .store
        .store
        .as_deref()
        .map(|u| ("--store", u, "ADMIT_STORE_URL"));
    let given = given.or(args
        .store
        .redis
        .as_deref()
        .map(|u| ("--redis", u, "ADMIT_REDIS_URL")));
    let mut note = "";
    if let Some((flag, url, variable)) = given
        && std::env::var(variable).ok().as_deref() != Some(url)
    {
        if holds_password(url) {
            note = " with the same store (its URL holds a password: put it in ADMIT_STORE_URL)";
        } else {
            words.extend([flag.to_owned(), shell_word(url)]);
        }
    }
    if let Some(inviter) = &args.inviter {
        words.extend(["--inviter".to_owned(), shell_word(inviter)]);
    }
    if args.limit != 100 {
        words.extend(["--limit".to_owned(), args.limit.to_string()]);
    }
    if args.expired {
        words.push("--expired".to_owned());
    }
    if args.newest {
        words.push("--newest".to_owned());
    }
    if let Some(search) = &args.search {
        words.extend(["--search".to_owned(), shell_word(search)]);
    }
    if args.format != Format::Text {
        // As clap spells the value on the command line.
        if let Some(format) = args.format.to_possible_value() {
            words.extend(["--format".to_owned(), format.get_name().to_owned()]);
        }
    }
    words.extend(["--after".to_owned(), after.to_owned()]);
    format!("{}{note}", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::{holds_password, shell_word};

    #[test]
    fn store_urls_with_passwords_are_told_apart() {
        assert!(holds_password("postgres://app:secret@db/app"));
        assert!(holds_password("redis://:secret@127.0.0.1:6379/"));
        assert!(!holds_password("postgres://app@db/app"));
        assert!(!holds_password("sqlite://data/admit.db"));
        assert!(!holds_password("memory:"));
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("grace"), "grace");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
