//! `verify` and `inspect`.

use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

use admit::{Claims, Error, Invitation, KeySet, Verifier, VerifyOptions, find_token};
use clap::Args;
use time::OffsetDateTime;

use crate::Format;
use crate::records::{CLAIM_COLUMNS, claim_fields, claims_json, csv_line, data_display};
use crate::util::{CliError, FAILED, exit_code, fmt_time, parse_time, parse_ttl};

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// A public key (SPKI PEM); repeat for key rotation.
    #[arg(long = "pub", value_name = "FILE", required = true)]
    pubs: Vec<PathBuf>,
    /// The context the tokens were minted for.
    #[arg(long)]
    context: String,
    /// The email address presented: invitations bound to another address fail.
    #[arg(long, value_name = "EMAIL")]
    email: Option<String>,
    /// Verify as of this time instead of now: 2026-12-01T09:00:00Z, 2026-12-01, 2026-12-01 09:00
    /// (UTC), Unix seconds, or +7d / -1h from now.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Clock leeway [default: 60s].
    #[arg(long, value_name = "DURATION")]
    leeway: Option<String>,
    /// Output: text, json (one object per line) or csv (a header, then one row per token);
    /// every format has a result for each token, in input order.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Threads that verify a stdin batch [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// Check against a revocation list too, offline (as `admit revocations publish` writes
    /// it); repeat for a full list then deltas, in order. Listed invitations fail with exit
    /// 6; an overdue list fails every token with exit 7 unless --allow-stale.
    #[arg(long = "revocations", value_name = "FILE")]
    revocations: Vec<PathBuf>,
    /// The public key(s) the lists are signed with, when not one of --pub.
    #[arg(
        long = "revocations-pub",
        value_name = "FILE",
        requires = "revocations"
    )]
    revocations_pubs: Vec<PathBuf>,
    /// Use a revocation list past its next update (plus 60 s) instead of failing.
    #[arg(long, requires = "revocations")]
    allow_stale: bool,
    /// Also check revocation in the store.
    #[command(flatten)]
    store: crate::store::StoreArgs,
    /// A token, or a link holding one. Without it, tokens are read from stdin, one per line.
    token: Option<String>,
}

/// What `verify` needs for every token.
pub(crate) struct Check {
    verifier: Verifier,
    email: Option<String>,
    at: Option<OffsetDateTime>,
    store: Option<crate::store::Connected>,
}

impl Check {
    fn new(args: &VerifyArgs) -> Result<Check, CliError> {
        let keys: KeySet = crate::keys::load_public(&args.pubs)?;
        let list_keys = if args.revocations_pubs.is_empty() {
            keys.clone()
        } else {
            crate::keys::load_public(&args.revocations_pubs)?
        };
        let mut verifier = Verifier::new(keys, &args.context)
            .map_err(|e| CliError::usage(format!("--context: {e}")))?;
        verifier = crate::revocations::attach(
            verifier,
            &args.revocations,
            list_keys,
            &args.context,
            args.allow_stale,
        )?;
        if let Some(leeway) = &args.leeway {
            verifier = verifier.leeway(parse_ttl(leeway)?);
        }
        let at = args
            .at
            .as_deref()
            .map(|t| parse_time("--at", t))
            .transpose()?;
        Ok(Check {
            verifier,
            email: args.email.clone(),
            at,
            store: crate::store::Connected::maybe(&args.store)?,
        })
    }

    fn options(&self) -> VerifyOptions<'_> {
        let mut o = VerifyOptions::new();
        if let Some(email) = &self.email {
            o = o.email(email);
        }
        if let Some(at) = self.at {
            o = o.at(at);
        }
        o
    }

    /// The keys and context from `--pub` and `--context`.
    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The time to verify at, when `--at` gave one.
    pub(crate) fn at(&self) -> Option<OffsetDateTime> {
        self.at
    }

    /// `invitation`, if it is bound to no address or to the `--email` given.
    pub(crate) fn email_matches(&self, invitation: Invitation) -> Result<Invitation, Error> {
        match &self.email {
            Some(email) => invitation.check_email(email).map(|()| invitation),
            None => Ok(invitation),
        }
    }

    /// The store's say, after the signature checks passed.
    pub(crate) fn after(&self, verified: Result<Invitation, Error>) -> Result<Invitation, Error> {
        let invitation = verified?;
        if let Some(store) = &self.store {
            store.check(&invitation)?;
        }
        Ok(invitation)
    }
}

pub(crate) fn verify(args: VerifyArgs) -> Result<u8, CliError> {
    let check = Check::new(&args)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let write = |out: &mut BufWriter<_>, line: Option<usize>, r: &Result<Invitation, Error>| {
        let text = result_line(args.format, line, r)?;
        writeln!(out, "{text}").map_err(|e| CliError::usage(format!("stdout: {e}")))
    };
    if args.format == Format::Csv {
        out.write_all(csv_line(verify_columns())?.as_bytes())
            .map_err(|e| CliError::usage(format!("stdout: {e}")))?;
    }

    if let Some(token) = &args.token {
        let result =
            find_token(token).and_then(|t| check.verifier.verify_with(&t, check.options()));
        let result = check.after(result);
        write(&mut out, None, &result)?;
        out.flush()
            .map_err(|e| CliError::usage(format!("stdout: {e}")))?;
        return Ok(result.as_ref().map_or_else(exit_code, |_| 0));
    }

    // Batch: one result per non-blank input line, in input order, verified on every core.
    let threads = match (&check.store, args.threads) {
        // Store calls go through one runtime: one thread.
        (Some(_), _) => 1,
        (None, Some(n)) => usize::from(n),
        (None, None) => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let input = BufReader::with_capacity(256 * 1024, std::io::stdin());
    let (seen, all_valid) =
        crate::verify_batch::run(&check, args.format, threads, input, &mut out)?;
    out.flush()
        .map_err(|e| CliError::usage(format!("stdout: {e}")))?;
    if seen == 0 {
        return Err(CliError::usage("no token given and no token on stdin"));
    }
    Ok(if all_valid { 0 } else { FAILED })
}

/// One result as `verify` prints it, without its line ending: text, a JSON object or a CSV
/// row (with the input line, in a batch).
pub(crate) fn result_line(
    format: Format,
    line: Option<usize>,
    r: &Result<Invitation, Error>,
) -> Result<String, CliError> {
    Ok(match format {
        // In a batch, each result names its input line: blank lines are skipped, so counting
        // output lines would not find it.
        Format::Text => match line {
            Some(line) => format!("line {line}: {}", text_result(r)),
            None => text_result(r),
        },
        Format::Json => json_result(line, r).to_string(),
        Format::Csv => csv_line(csv_result(line, r))?
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
    })
}

/// The CSV header of `verify`.
fn verify_columns() -> Vec<&'static str> {
    let mut columns = vec!["line", "valid", "error", "key_id"];
    columns.extend(CLAIM_COLUMNS);
    columns.extend(["message", "hint"]);
    columns
}

/// One `verify` result as the fields of [`verify_columns`].
fn csv_result(line: Option<usize>, r: &Result<Invitation, Error>) -> Vec<String> {
    let line = line.map(|l| l.to_string()).unwrap_or_default();
    match r {
        Ok(inv) => {
            let mut fields = vec![line, "true".into(), String::new(), inv.key_id().to_string()];
            fields.extend(claim_fields(inv));
            fields.extend([String::new(), String::new()]);
            fields
        }
        Err(e) => {
            let mut fields = vec![line, "false".into(), e.code().into(), String::new()];
            fields.extend(CLAIM_COLUMNS.map(|_| String::new()));
            fields.extend([e.to_string(), hint(e).unwrap_or_default().to_owned()]);
            fields
        }
    }
}

fn summary(c: &Claims) -> String {
    let mut s = format!(
        "id={} issued={} expires={}",
        c.id(),
        fmt_time(c.issued_at()),
        c.expires_at().map_or_else(|| "never".to_owned(), fmt_time)
    );
    if let Some(e) = c.email() {
        s.push_str(&format!(" email={e}"));
    }
    if let Some(m) = c.max_uses() {
        s.push_str(&format!(" max_uses={m}"));
    }
    if let Some(i) = c.inviter() {
        s.push_str(&format!(" inviter={i:?}"));
    }
    s
}

fn text_result(r: &Result<Invitation, Error>) -> String {
    match r {
        Ok(inv) => format!("valid key={} {}", inv.key_id(), summary(inv)),
        Err(e) => match hint(e) {
            Some(hint) => format!("invalid {}: {e} ({hint})", e.code()),
            None => format!("invalid {}: {e}", e.code()),
        },
    }
}

/// What to check when a token fails in a way a wrong flag usually explains.
fn hint(e: &Error) -> Option<&'static str> {
    match e {
        Error::BadSignature => Some(
            "check that --pub is the public key of the key that minted it and --context is \
             the context it was minted with",
        ),
        Error::UnknownKey { .. } => {
            Some("give the public key of the key that minted it with --pub (several are allowed)")
        }
        _ => None,
    }
}

fn json_result(line: Option<usize>, r: &Result<Invitation, Error>) -> serde_json::Value {
    let mut v = match r {
        Ok(inv) => {
            let mut v = claims_json(inv);
            v["valid"] = true.into();
            v["key_id"] = inv.key_id().to_string().into();
            v
        }
        Err(e) => {
            let mut v = serde_json::json!({
                "valid": false,
                "error": e.code(),
                "message": e.to_string(),
            });
            if let Some(hint) = hint(e) {
                v["hint"] = hint.into();
            }
            v
        }
    };
    if let Some(line) = line {
        v["line"] = line.into();
    }
    v
}

pub(crate) fn inspect(input: &str, format: Format) -> Result<u8, CliError> {
    let token = find_token(input).map_err(|e| CliError::admit("", &e))?;
    let seen = admit::inspect_unverified(&token).map_err(|e| CliError::admit("", &e))?;
    let c = seen.claims();
    match format {
        Format::Json => {
            let mut v = claims_json(c);
            v["verified"] = false.into();
            v["format_version"] = seen.format_version().into();
            v["key_id"] = seen.key_id().to_string().into();
            println!("{v}");
        }
        Format::Csv => {
            let mut columns = vec!["verified", "format_version", "key_id"];
            columns.extend(CLAIM_COLUMNS);
            let mut fields = vec![
                "false".to_owned(),
                seen.format_version().to_string(),
                seen.key_id().to_string(),
            ];
            fields.extend(claim_fields(c));
            print!("{}{}", csv_line(columns)?, csv_line(fields)?);
        }
        Format::Text => {
            let none = || "-".to_owned();
            println!("NOT VERIFIED: decoded without checking the signature, the key or the time.");
            println!("format      {}", seen.format_version());
            println!("key ID      {}", seen.key_id());
            println!("id          {}", c.id());
            println!("issued at   {}", fmt_time(c.issued_at()));
            println!(
                "expires at  {}",
                c.expires_at().map_or_else(|| "never".to_owned(), fmt_time)
            );
            println!("email       {}", c.email().map_or_else(none, str::to_owned));
            println!(
                "max uses    {}",
                c.max_uses().map_or_else(none, |m| m.to_string())
            );
            println!(
                "inviter     {}",
                c.inviter().map_or_else(none, |i| format!("{i:?}"))
            );
            println!(
                "data        {}",
                c.data_bytes().map_or_else(none, data_display)
            );
        }
    }
    Ok(0)
}
