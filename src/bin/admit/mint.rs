//! `mint`: one invitation, `--count` of them, or one per address in `--emails`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use admit::{Invitation, InvitationBuilder, Issuer, Token};
use clap::Args;

use crate::Format;
use crate::email_rows::{EmailRows, parse_delimiter};
use crate::progress::Progress;
use crate::records::csv_line;
use crate::util::{CliError, FAILED, fmt_time, parse_time, parse_ttl};

#[derive(Args)]
pub(crate) struct MintArgs {
    /// The private key (PKCS#8 PEM).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// What the invitations are for, e.g. acme/invite; verifiers must use the same.
    #[arg(long)]
    context: String,
    /// Time to live: 7d, 12h, 30m, 1d12h, or seconds [default: 7d].
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["expires", "no_expiry"])]
    ttl: Option<String>,
    /// Expiry: 2026-12-01T09:00:00Z, 2026-12-01, 2026-12-01 09:00 (UTC), Unix seconds, or +30d.
    #[arg(long, value_name = "TIME", conflicts_with = "no_expiry")]
    expires: Option<String>,
    /// Invitations that never expire (valid until revoked or the key is retired).
    #[arg(long)]
    no_expiry: bool,
    /// Bind the invitation to this email address.
    #[arg(long, value_name = "EMAIL", conflicts_with = "emails")]
    email: Option<String>,
    /// How many accounts may join with each invitation (1 = one-time).
    #[arg(long, value_name = "N")]
    max_uses: Option<u32>,
    /// Who invites (1 to 64 bytes).
    #[arg(long, value_name = "NAME")]
    inviter: Option<String>,
    /// App data: JSON text, checked to be JSON and stored exactly as given, as a string
    /// (compact it to keep tokens short); `inspect` and `verify` show it as `data`, and its
    /// bytes as `data_hex`.
    #[arg(long, value_name = "JSON", conflicts_with = "data_hex")]
    data: Option<String>,
    /// App data: raw bytes in hex (what `data_hex` in JSON and CSV output shows).
    #[arg(long, value_name = "HEX")]
    data_hex: Option<String>,
    /// Print links: BASE (http:// or https:// with a host) with ?invitation=<token> added.
    #[arg(long, value_name = "BASE")]
    url: Option<String>,
    /// Mint this many invitations with the same claims.
    #[arg(long, value_name = "N", conflicts_with = "emails")]
    count: Option<u64>,
    /// Mint one invitation per address: a file with one per line, or CSV with an `email`
    /// column (and optional `inviter` and `max_uses` columns); `-` reads stdin.
    #[arg(long, value_name = "FILE")]
    emails: Option<PathBuf>,
    /// The field separator of --emails: , ; tab or | [default: detected from the first line].
    #[arg(long, value_name = "CHAR", requires = "emails", value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Output: text (one token or link per line), json (one object per line), or csv.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Record each invitation in the store's registry (for `admit list`).
    #[command(flatten)]
    store: crate::store::StoreArgs,
    /// Description recorded with each invitation (with --store).
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
}

pub(crate) fn mint(args: MintArgs) -> Result<u8, CliError> {
    if let Some(url) = &args.url {
        crate::util::check_base_url(url)?;
    }
    if args.count == Some(0) {
        return Err(CliError::usage(
            "--count 0: nothing to mint (give 1 or more)",
        ));
    }
    let key = crate::keys::load_signing(&args.key)?;
    let issuer =
        Issuer::new(key, &args.context).map_err(|e| CliError::usage(format!("--context: {e}")))?;
    let base = builder(&args)?;
    let mut out = Output::new(&args);
    if args.description.is_some() && !args.store.given() {
        return Err(CliError::usage(
            "--description is recorded in the store: give --store URL (or ADMIT_STORE_URL)",
        ));
    }
    let recorder = crate::store::Recorder::connect(&args.store, args.description.clone())?;

    let mut failures = 0u64;
    let mut mint_one = |builder: &InvitationBuilder, out: &mut Output| -> Result<(), CliError> {
        let token = issuer.mint(builder).map_err(|e| CliError::admit("", &e))?;
        if let Some(recorder) = &recorder {
            recorder.record(token.invitation())?;
        }
        out.write(&token)
    };

    if let Some(path) = &args.emails {
        failures = mint_emails(path, args.delimiter, &base, &mut out, &mut mint_one)?;
    } else {
        // Batches share the cost of their signatures' field inversions (`Issuer::mint_many`).
        let count = args.count.unwrap_or(1);
        let progress = Progress::new("minted", Some(count));
        let mut done = 0u64;
        while done < count {
            let n = (count - done).min(1024);
            let tokens = issuer
                .mint_many(&base, usize::try_from(n).unwrap_or(1024))
                .map_err(|e| CliError::usage(format!("mint: {e}")))?;
            for token in &tokens {
                if let Some(recorder) = &recorder {
                    recorder.record(token.invitation())?;
                }
                out.write(token)?;
            }
            done += n;
            progress.set(done);
        }
        progress.finish();
    }
    out.finish()?;
    if failures > 0 {
        eprintln!("admit: {failures} line(s) could not be minted (see above)");
        return Ok(FAILED);
    }
    Ok(0)
}

/// The claims every minted invitation shares, checked once up front.
fn builder(args: &MintArgs) -> Result<InvitationBuilder, CliError> {
    let mut b = Invitation::builder();
    if let Some(ttl) = &args.ttl {
        b = b.ttl(parse_ttl(ttl)?);
    }
    if let Some(at) = &args.expires {
        b = b.expires_at(parse_time("--expires", at)?);
    }
    if args.no_expiry {
        b = b.never_expires();
    }
    if let Some(email) = &args.email {
        b = b.email(email.clone());
    }
    if let Some(n) = args.max_uses {
        b = b.max_uses(n);
    }
    if let Some(inviter) = &args.inviter {
        b = b.inviter(inviter.clone());
    }
    if let Some(json) = &args.data {
        serde_json::from_str::<serde_json::Value>(json)
            .map_err(|e| CliError::usage(format!("--data: not valid JSON: {e}")))?;
        b = b.data(json.as_str());
    }
    if let Some(hex) = &args.data_hex {
        b = b.data_bytes(parse_hex(hex)?);
    }
    // Check the claims now, so a bad flag is one clear error rather than one per invitation.
    let probe = Issuer::new(admit::SigningKey::from_bytes(&[0; 32]), "admit/probe")
        .map_err(|e| CliError::usage(e.to_string()))?;
    probe
        .mint_with_id(
            &b,
            admit::InvitationId::from_bytes([0; 12]),
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| CliError::usage(flag_error(&e)))?;
    Ok(b)
}

fn flag_error(e: &admit::Error) -> String {
    let flag = match e {
        admit::Error::InvalidClaim { claim, .. } => match claim {
            admit::Claim::Email => "--email",
            admit::Claim::MaxUses => "--max-uses",
            admit::Claim::Inviter => "--inviter",
            admit::Claim::Data => "--data",
            admit::Claim::ExpiresAt => "--ttl/--expires",
            _ => "claims",
        },
        _ => "claims",
    };
    format!("{flag}: {e}")
}

fn parse_hex(text: &str) -> Result<Vec<u8>, CliError> {
    if let Some((at, c)) = text.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(CliError::usage(format!(
            "--data-hex: {c:?} at position {} is not a hex digit (0-9, a-f)",
            at + 1
        )));
    }
    let bad = || CliError::usage("--data-hex: expected an even number of hex digits");
    if !text.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// Mints one invitation per address; returns how many rows failed.
fn mint_emails(
    path: &Path,
    delimiter: Option<u8>,
    base: &InvitationBuilder,
    out: &mut Output,
    mint_one: &mut impl FnMut(&InvitationBuilder, &mut Output) -> Result<(), CliError>,
) -> Result<u64, CliError> {
    let mut rows = EmailRows::open(path, delimiter)?;
    let progress = Progress::bytes(format!("minting from {}", rows.name()), rows.size());
    let mut failures = 0;
    let mut minted_or_failed = 0u64;
    while let Some(row) = rows.next_row()? {
        minted_or_failed += 1;
        progress.set(rows.bytes_read());
        let result = row.fields.and_then(|f| {
            let mut b = base.clone().email(f.email);
            if let Some(inviter) = f.inviter {
                b = b.inviter(inviter);
            }
            if let Some(n) = f.max_uses {
                b = b.max_uses(n);
            }
            mint_one(&b, out).map_err(|e| e.message)
        });
        if let Err(message) = result {
            eprintln!("{}:{}: {message}", rows.name(), row.line);
            failures += 1;
        }
    }
    progress.finish();
    if minted_or_failed == 0 {
        let what = if rows.has_header() {
            "a header but no rows"
        } else {
            "no addresses"
        };
        return Err(CliError::usage(format!("{}: {what}", rows.name())));
    }
    Ok(failures)
}

/// Writes minted tokens in the chosen format.
struct Output {
    out: BufWriter<std::io::StdoutLock<'static>>,
    format: Format,
    url: Option<String>,
    wrote_header: bool,
}

impl Output {
    fn new(args: &MintArgs) -> Output {
        Output {
            out: BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
            format: args.format,
            url: args.url.clone(),
            wrote_header: false,
        }
    }

    fn write(&mut self, token: &Token) -> Result<(), CliError> {
        let link = match &self.url {
            Some(base) => Some(
                token
                    .url(base)
                    .map_err(|e| CliError::usage(format!("--url: {e}")))?,
            ),
            None => None,
        };
        let inv = token.invitation();
        let expires = inv.expires_at().map(fmt_time);
        let result = match self.format {
            Format::Text => writeln!(self.out, "{}", link.as_deref().unwrap_or(token.as_str())),
            Format::Json => {
                let mut obj = serde_json::json!({
                    "id": inv.id().to_string(),
                    "email": inv.email(),
                    "expires_at": expires,
                    "token": token.as_str(),
                });
                if let Some(link) = &link {
                    obj["url"] = serde_json::Value::String(link.clone());
                }
                writeln!(self.out, "{obj}")
            }
            Format::Csv => {
                let mut text = String::new();
                if !self.wrote_header {
                    self.wrote_header = true;
                    let mut header = vec!["email", "id", "expires_at", "token"];
                    if link.is_some() {
                        header.push("url");
                    }
                    text = csv_line(header)?;
                }
                let id = inv.id().to_string();
                let mut fields = vec![
                    inv.email().unwrap_or_default(),
                    &id,
                    expires.as_deref().unwrap_or_default(),
                    token.as_str(),
                ];
                if let Some(link) = &link {
                    fields.push(link);
                }
                text.push_str(&csv_line(fields)?);
                self.out.write_all(text.as_bytes())
            }
        };
        result.map_err(|e| CliError::usage(format!("stdout: {e}")))
    }

    fn finish(mut self) -> Result<(), CliError> {
        self.out
            .flush()
            .map_err(|e| CliError::usage(format!("stdout: {e}")))
    }
}
