//! `admit webhooks`: make a secret, deliver a store's events to an endpoint, see where an
//! endpoint stands, and check a delivery as a receiver would.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use admit::store::EventType;
use admit::webhooks::{
    EndpointStatus, WebhookSecret, WebhookSender, WebhookVerifier, endpoint_status,
};
use clap::{Args, Subcommand};

use crate::Format;
use crate::keys::write_secret_file;
use crate::store::{Connected, StoreArgs};
use crate::util::{CliError, NOT_GENUINE, fmt_time, parse_ttl, read_small};

#[derive(Subcommand)]
pub(crate) enum WebhooksCommand {
    /// Make a new signing secret (whsec_…, file mode 0600): give the same file to the sender
    /// and the receiver.
    #[command(after_help = "Example:\n  admit webhooks secret --out hooks.secret")]
    Secret {
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Deliver the store's events to an endpoint until stopped (Ctrl-C or SIGTERM); progress
    /// and failures go to stderr.
    #[command(after_help = "Examples:\n  \
        admit webhooks run --store sqlite://admit.db --url https://hooks.example.com/admit \\\n      \
        --secret-file hooks.secret --name crm\n  \
        admit webhooks run --url http://127.0.0.1:9000/ --allow-internal --secret-file s --kind issued\n\n\
        The endpoint's cursor and lease live in the store under --name: start several workers \
        for one endpoint and one delivers at a time; a restarted worker goes on where the last \
        one stopped. Events are delivered at least once: receivers should use the webhook-id \
        header (the same on every retry) to act once.")]
    Run(RunArgs),
    /// Show where an endpoint stands: cursor, delivered, failing, worker.
    #[command(
        after_help = "Example:\n  admit webhooks status --store sqlite://admit.db --name crm"
    )]
    Status(StatusArgs),
    /// Check a delivery as a receiver would: the body on stdin, the headers as arguments.
    /// Exits 0 when genuine and fresh, 3 when not.
    #[command(after_help = "Example:\n  \
        admit webhooks verify --secret-file hooks.secret --id evt_0-7 --timestamp 1765101000 \\\n      \
        --signature 'v1,K5oZ…' < body.json")]
    Verify(VerifyArgs),
}

#[derive(Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The endpoint's URL (http or https).
    #[arg(long, value_name = "URL")]
    url: String,
    /// The file holding the whsec_ secret (`admit webhooks secret`); never on the command line.
    #[arg(long, value_name = "FILE")]
    secret_file: PathBuf,
    /// The endpoint's name: where its cursor and lease live in the store.
    #[arg(long, default_value = "webhook", value_name = "NAME")]
    name: String,
    /// Only events of these kinds (repeat, or separate with commas).
    #[arg(long = "kind", value_name = "KIND", value_delimiter = ',')]
    kinds: Vec<String>,
    /// Allow loopback, private and other internal addresses (a receiver you run yourself).
    #[arg(long)]
    allow_internal: bool,
    /// How long one delivery may take.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    timeout: String,
    /// Failures in a row after which the endpoint counts as failing (it is still retried).
    #[arg(long, default_value_t = 8, value_name = "N")]
    max_attempts: u32,
}

#[derive(Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The endpoint's name.
    #[arg(long, default_value = "webhook", value_name = "NAME")]
    name: String,
    /// Output: text or json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// The file holding the whsec_ secret.
    #[arg(long, value_name = "FILE")]
    secret_file: PathBuf,
    /// The webhook-id header.
    #[arg(long)]
    id: String,
    /// The webhook-timestamp header.
    #[arg(long)]
    timestamp: String,
    /// The webhook-signature header.
    #[arg(long)]
    signature: String,
    /// How far the timestamp may be from now.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    tolerance: String,
}

pub(crate) fn webhooks(command: WebhooksCommand) -> Result<u8, CliError> {
    match command {
        WebhooksCommand::Secret { out, force } => secret(&out, force),
        WebhooksCommand::Run(args) => run(args),
        WebhooksCommand::Status(args) => status(args),
        WebhooksCommand::Verify(args) => verify(args),
    }
}

fn secret(out: &Path, force: bool) -> Result<u8, CliError> {
    if !force && out.exists() {
        return Err(CliError::usage(format!(
            "{}: already exists (use --force to replace it)",
            out.display()
        )));
    }
    let secret = WebhookSecret::generate().map_err(|e| CliError::admit("secret", &e))?;
    write_secret_file(out, format!("{}\n", secret.expose()).as_bytes())?;
    eprintln!(
        "wrote {} (keep it private: it signs and checks deliveries)",
        out.display()
    );
    Ok(0)
}

fn load_secret(path: &Path) -> Result<WebhookSecret, CliError> {
    read_small(path)?
        .parse()
        .map_err(|e| CliError::admit(&path.display().to_string(), &e))
}

fn duration(flag: &str, text: &str) -> Result<std::time::Duration, CliError> {
    let d = parse_ttl(text).map_err(|_| {
        CliError::usage(format!(
            "{flag} {text:?}: expected a duration like 10s or 5m"
        ))
    })?;
    std::time::Duration::try_from(d)
        .map_err(|_| CliError::usage(format!("{flag} {text:?}: must not be negative")))
}

fn run(args: RunArgs) -> Result<u8, CliError> {
    let secret = load_secret(&args.secret_file)?;
    let timeout = duration("--timeout", &args.timeout)?;
    let kinds = args
        .kinds
        .iter()
        .map(|k| {
            k.trim()
                .parse::<EventType>()
                .map_err(|_| CliError::usage(format!("--kind {k:?}: not an event kind")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let conn = Connected::required(&args.store)?;
    let mut builder = WebhookSender::builder(conn.store.clone(), &args.url, secret)
        .name(args.name.clone())
        .types(kinds)
        .timeout(timeout)
        .lease(
            timeout
                .saturating_mul(3)
                .max(std::time::Duration::from_secs(30)),
        )
        .max_attempts(args.max_attempts);
    if args.allow_internal {
        builder = builder.allow_internal_targets();
    }
    let sender = builder.build().map_err(|e| CliError::admit("--url", &e))?;
    eprintln!(
        "delivering to {} as endpoint {:?} (worker {}); Ctrl-C or SIGTERM stops",
        args.url,
        args.name,
        sender.worker()
    );
    let outcome = conn.runtime.block_on(async {
        let mut stop = core::pin::pin!(crate::events::stopped());
        let mut delivered_total = 0u64;
        let mut was_failing = false;
        let mut waiting_said = false;
        loop {
            tokio::select! {
                () = &mut stop => break,
                batch = sender.deliver_next() => {
                    let batch = batch?;
                    if batch.waiting && !waiting_said {
                        eprintln!("another worker holds the lease: waiting to take over");
                    }
                    waiting_said = batch.waiting;
                    if batch.delivered > 0 {
                        delivered_total += batch.delivered as u64;
                        let through = batch.cursor.map(|c| c.to_string()).unwrap_or_default();
                        let retried = match batch.retries {
                            0 => String::new(),
                            n => format!(", {n} retries"),
                        };
                        eprintln!(
                            "delivered {} ({delivered_total} in all) through {through}{retried}",
                            batch.delivered
                        );
                    }
                    let status = sender.status().await?;
                    if status.is_failing() != was_failing {
                        was_failing = status.is_failing();
                        match (&status.failing_since, &status.last_error) {
                            (Some(since), error) => eprintln!(
                                "endpoint failing since {} ({}); still retrying",
                                fmt_time(*since),
                                error.as_deref().unwrap_or("no answer")
                            ),
                            (None, _) => eprintln!("endpoint answering again"),
                        }
                    }
                }
            }
        }
        sender.release().await?;
        Ok::<u64, admit::Error>(delivered_total)
    });
    match outcome {
        Ok(total) => {
            eprintln!("stopped after delivering {total}; the cursor is kept in the store");
            Ok(0)
        }
        Err(e) => Err(CliError::admit("webhooks run", &e)),
    }
}

fn status(args: StatusArgs) -> Result<u8, CliError> {
    let conn = Connected::required(&args.store)?;
    let status = conn
        .runtime
        .block_on(endpoint_status(&conn.store, &args.name))
        .map_err(|e| CliError::admit("webhooks status", &e))?;
    let Some(status) = status else {
        eprintln!(
            "no endpoint named {:?} has delivered anything yet",
            args.name
        );
        return Ok(1);
    };
    print_status(&status, args.format)?;
    Ok(if status.is_failing() { 1 } else { 0 })
}

fn print_status(s: &EndpointStatus, format: Format) -> Result<(), CliError> {
    let time = |t: Option<time::OffsetDateTime>| t.map(fmt_time);
    if format == Format::Json {
        let json = serde_json::json!({
            "name": s.name,
            "cursor": s.cursor.map(|c| c.to_string()),
            "delivered": s.delivered,
            "failures": s.failures,
            "failing_since": time(s.failing_since),
            "last_error": s.last_error,
            "last_success": time(s.last_success),
            "worker": s.worker,
        });
        println!("{json}");
        return Ok(());
    }
    let state = match &s.failing_since {
        Some(since) => format!("FAILING since {}", fmt_time(*since)),
        None => "ok".to_owned(),
    };
    println!("endpoint   {}", s.name);
    println!("state      {state}");
    println!("delivered  {}", s.delivered);
    println!(
        "cursor     {}",
        s.cursor.map_or_else(|| "-".to_owned(), |c| c.to_string())
    );
    println!("failures   {} in a row", s.failures);
    if let Some(e) = &s.last_error {
        println!("last error {e}");
    }
    if let Some(t) = s.last_success {
        println!("last ok    {}", fmt_time(t));
    }
    println!(
        "worker     {}",
        s.worker.as_deref().unwrap_or("none (no live lease)")
    );
    Ok(())
}

fn verify(args: VerifyArgs) -> Result<u8, CliError> {
    let secret = load_secret(&args.secret_file)?;
    let tolerance = duration("--tolerance", &args.tolerance)?;
    let mut body = Vec::new();
    std::io::stdin()
        .take(16 * 1024 * 1024)
        .read_to_end(&mut body)
        .map_err(|e| CliError::output(format!("reading the body from stdin: {e}")))?;
    let verifier = WebhookVerifier::new([secret]).tolerance(tolerance);
    match verifier.verify(&args.id, &args.timestamp, &args.signature, &body) {
        Ok(()) => {
            println!("genuine");
            Ok(0)
        }
        Err(e) => {
            println!("refused: {e}");
            Ok(NOT_GENUINE)
        }
    }
}
