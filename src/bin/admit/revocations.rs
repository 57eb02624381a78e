//! `admit revocations`: publish a signed revocation list from a store (full, or a delta on an
//! earlier one), look inside one, and load lists for `admit verify --revocations`.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use admit::revocation_list::{MAX_LIST_TEXT, Publisher, RevocationList, Revocations};
use admit::{KeySet, Verifier};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::Format;
use crate::store::{Connected, StoreArgs};
use crate::util::{CliError, fmt_time, parse_ttl};

#[derive(Subcommand)]
pub(crate) enum RevocationsCommand {
    /// Publish a signed revocation list from the store: a full list, or a delta on an earlier
    /// one. The text goes to --out (replaced atomically) or stdout; a summary to stderr.
    #[command(after_help = "Examples:\n  \
        admit revocations publish --store postgres://… --key key.pem --context acme/invite --out list.txt\n  \
        admit revocations publish --store redis://127.0.0.1/ --key key.pem --context acme/invite --delta\n  \
        admit revocations publish … --delta-since 41 --next-update 2m --used-up\n\n\
        Publish more often than --next-update: verifiers refuse every token once a list is \
        past it (plus their grace). Sequence numbers and where each list stopped reading are \
        kept in the store under --name, so any machine can publish the next one.")]
    Publish(PublishArgs),
    /// Show what a list holds: sequence, times, rules, IDs. With --pub and --context, the
    /// signature is checked too (exit 3 if it fails).
    #[command(after_help = "Examples:\n  \
        admit revocations inspect list.txt\n  \
        admit revocations inspect list.txt --pub pub.pem --context acme/invite --format json")]
    Inspect(InspectArgs),
}

#[derive(Args)]
pub(crate) struct PublishArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The signing key (PKCS#8 PEM): the issuer's, or one the verifiers trust for lists.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The context the tokens are minted for.
    #[arg(long)]
    context: String,
    /// Where to write the list text (replaced atomically); stdout without it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// A delta on the last list published, instead of a full list.
    #[arg(long, conflicts_with = "delta_since")]
    delta: bool,
    /// A delta on the list with this sequence (one of the last 32 published).
    #[arg(long, value_name = "N")]
    delta_since: Option<u64>,
    /// When the next list is due, from now [default: 5m].
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    next_update: String,
    /// Also list used-up invitations, so a page at the edge can say "already used".
    #[arg(long)]
    used_up: bool,
    /// The series in the store (one per context or per audience) [default: revocation-list].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
}

#[derive(Args)]
pub(crate) struct InspectArgs {
    /// The list text file (`-`: stdin).
    file: PathBuf,
    /// Check the signature with these public keys (SPKI PEM), with --context.
    #[arg(long = "pub", value_name = "FILE", requires = "context")]
    pubs: Vec<PathBuf>,
    /// The context the list was signed for.
    #[arg(long, requires = "pubs")]
    context: Option<String>,
    /// Output: text or json (csv: one row per ID).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn run(command: RevocationsCommand) -> Result<u8, CliError> {
    match command {
        RevocationsCommand::Publish(args) => publish(args),
        RevocationsCommand::Inspect(args) => inspect(&args),
    }
}

fn publish(args: PublishArgs) -> Result<u8, CliError> {
    let key = crate::keys::load_signing(&args.key)?;
    let every = parse_ttl(&args.next_update)
        .map_err(|_| CliError::usage("--next-update: expected a duration like 5m, 2m or 1h"))?;
    if every <= time::Duration::ZERO {
        return Err(CliError::usage("--next-update must be at least a second"));
    }
    let conn = Connected::required(&args.store)?;
    let mut publisher = Publisher::new(conn.store.clone(), key, &args.context)
        .map_err(|e| CliError::usage(format!("--context: {e}")))?
        .next_update_in(every);
    if let Some(name) = &args.name {
        publisher = publisher.name(name);
    }
    if args.used_up {
        publisher = publisher.with_used_up();
    }
    let published = conn
        .runtime
        .block_on(async {
            match (args.delta, args.delta_since) {
                (_, Some(base)) => publisher.delta_since(base).await,
                (true, None) => publisher.delta().await,
                (false, None) => publisher.full().await,
            }
        })
        .map_err(|e| CliError::admit("revocations publish", &e))?;
    match &args.out {
        Some(out) => crate::keys::write_replacing(out, published.text.as_bytes(), false)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(published.text.as_bytes())
                .and_then(|()| stdout.write_all(b"\n"))
                .and_then(|()| stdout.flush())
                .map_err(|e| CliError::output(format!("writing to stdout: {e}")))?;
        }
    }
    let what = match published.base {
        Some(base) => format!("delta {} on {base}", published.sequence),
        None => format!("full list {}", published.sequence),
    };
    let used = published
        .used_up
        .map_or_else(String::new, |n| format!(", {n} used up"));
    eprintln!(
        "published {what}: {} revoked{used}, {} rules, {} bytes; next update due {}{}",
        published.revoked,
        published.rules,
        published.text.len(),
        fmt_time(published.next_update),
        args.out
            .as_ref()
            .map_or_else(String::new, |o| format!("; wrote {}", o.display())),
    );
    Ok(0)
}

/// Reads a list file (or stdin for `-`), at most the library's cap.
pub(crate) fn read_list(path: &Path) -> Result<String, CliError> {
    let mut text = String::new();
    let limit = MAX_LIST_TEXT as u64 + 2;
    let read = if path.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_string(&mut text))
    };
    read.map_err(|e| CliError::io(path, &e))?;
    Ok(text.trim_end().to_owned())
}

fn inspect(args: &InspectArgs) -> Result<u8, CliError> {
    let text = read_list(&args.file)?;
    let shown = args.file.display().to_string();
    let list = match &args.context {
        Some(context) => {
            let keys: KeySet = crate::keys::load_public(&args.pubs)?;
            RevocationList::verify(&text, &keys, context)
                .map_err(|e| CliError::admit(&shown, &e))?
        }
        None => {
            RevocationList::inspect_unverified(&text).map_err(|e| CliError::admit(&shown, &e))?
        }
    };
    let checked = args.context.is_some();
    let out = match args.format {
        Format::Json => {
            let entry = |e: &admit::revocation_list::ListEntry| json!({"id": e.id.to_string(), "keep_until": e.keep_until.map(fmt_time)});
            let value = json!({
                "sequence": list.sequence(),
                "base": list.base(),
                "key_id": list.key_id().to_string(),
                "signature_checked": checked,
                "issued_at": fmt_time(list.issued_at()),
                "next_update": fmt_time(list.next_update()),
                "rules": list.rules().iter().map(|r| json!({
                    "inviter": r.inviter, "issued_before": fmt_time(r.cutoff)
                })).collect::<Vec<_>>(),
                "revoked": list.revoked().iter().map(entry).collect::<Vec<_>>(),
                "used_up": list.used_up().map(|set| set.iter().map(entry).collect::<Vec<_>>()),
            });
            serde_json::to_string_pretty(&value)
                .map_err(|e| CliError::output(format!("writing JSON: {e}")))?
                + "\n"
        }
        Format::Csv => {
            let mut out = crate::records::csv_line(["set", "id", "keep_until"])?;
            let sets = [
                ("revoked", Some(list.revoked())),
                ("used_up", list.used_up()),
            ];
            for (name, set) in sets {
                for e in set.unwrap_or_default() {
                    out.push_str(&crate::records::csv_line([
                        name.to_owned(),
                        e.id.to_string(),
                        e.keep_until.map(fmt_time).unwrap_or_default(),
                    ])?);
                }
            }
            out
        }
        Format::Text => {
            let mut out = format!(
                "{} {}{}, key {}{}\nissued {}, next update due {}\n",
                if list.base().is_some() {
                    "delta"
                } else {
                    "full list"
                },
                list.sequence(),
                list.base().map_or_else(String::new, |b| format!(" on {b}")),
                list.key_id(),
                if checked {
                    " (signature checked)"
                } else {
                    " (signature NOT checked)"
                },
                fmt_time(list.issued_at()),
                fmt_time(list.next_update()),
            );
            for rule in list.rules() {
                out.push_str(&format!(
                    "rule: everything {} issued before {}\n",
                    rule.inviter.as_deref().unwrap_or("anyone"),
                    fmt_time(rule.cutoff)
                ));
            }
            out.push_str(&format!("{} revoked\n", list.revoked().len()));
            if let Some(used) = list.used_up() {
                out.push_str(&format!("{} used up\n", used.len()));
            }
            out
        }
    };
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(|e| CliError::output(format!("writing to stdout: {e}")))?;
    Ok(0)
}

/// For `admit verify --revocations`: loads the files in order (a full list, then deltas)
/// into the verifier.
pub(crate) fn attach(
    verifier: Verifier,
    files: &[PathBuf],
    keys: KeySet,
    context: &str,
    allow_stale: bool,
) -> Result<Verifier, CliError> {
    if files.is_empty() {
        return Ok(verifier);
    }
    let mut revocations =
        Revocations::new(keys, context).map_err(|e| CliError::usage(format!("--context: {e}")))?;
    if allow_stale {
        revocations = revocations.allow_stale();
    }
    for file in files {
        let text = read_list(file)?;
        revocations.load(&text).map_err(|e| {
            let class = match &e {
                admit::Error::RevocationListRefused { problem } => problem.code(),
                other => other.code(),
            };
            CliError::usage(format!("--revocations {}: [{class}] {e}", file.display()))
        })?;
    }
    Ok(verifier.revocations(revocations))
}
