//! `admit`: keys, minting, verification and store operations for operators.
//!
//! Exit codes: 0 success; 1 a batch had failures; 2 usage or I/O error; 3 not a genuine token
//! (malformed, bad signature, unknown key, unsupported version, invalid claim); 4 expired or
//! not yet valid; 5 email mismatch or not an address; 6 revoked or used up; 7 store
//! unavailable, unsafe or not initialized.

#![forbid(unsafe_code)]

mod check;
mod email_rows;
mod events;
mod funnel;
mod keys;
mod manual;
mod mint;
mod progress;
mod records;
mod revocations;
mod store;
mod store_admin;
mod store_list;
mod util;
mod verify_batch;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::util::CliError;

#[derive(Parser)]
#[command(
    name = "admit",
    version,
    about = "Ed25519-signed invitation tokens: make keys, mint, verify, inspect, revoke",
    after_help = "Exit codes: 0 ok, 1 some items in a batch failed, 2 usage or I/O error, \
                  3 not a genuine token, 4 expired or not yet valid, 5 email mismatch or not an address, \
                  6 revoked or used up, 7 store unavailable, unsafe or not initialized.\n\n\
                  Examples:\n  \
                  admit keygen --out key.pem\n  \
                  admit pubkey --key key.pem > pub.pem\n  \
                  admit mint --key key.pem --context acme/invite --email ada@example.com --max-uses 1 \\\n      \
                  --url https://acme.test/join\n  \
                  admit verify --pub pub.pem --context acme/invite 'https://acme.test/join?invitation=…'\n  \
                  admit inspect 'AddamAEH…'"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make a new signing key (PKCS#8 PEM, file mode 0600).
    #[command(after_help = "Examples:\n  admit keygen --out key.pem\n  \
                            admit keygen --out key.pem --force   # replace an existing file\n\n\
                            openssl genpkey -algorithm ed25519 makes compatible keys too.")]
    Keygen {
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },

    /// Print the public key (SPKI PEM) of a signing key; its key ID goes to stderr.
    #[command(after_help = "Example:\n  admit pubkey --key key.pem > pub.pem")]
    Pubkey {
        /// The private key (PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },

    /// Mint invitations: one, --count of them, or one per address in --emails.
    #[command(after_help = "Examples:\n  \
        admit mint --key key.pem --context acme/invite\n  \
        admit mint --key key.pem --context acme/invite --email ada@example.com --max-uses 1 --ttl 2d\n  \
        admit mint --key key.pem --context acme/invite --count 500 --url https://acme.test/join\n  \
        admit mint --key key.pem --context acme/invite --emails people.csv --format csv > sent.csv\n\n\
        --emails reads one address per line, or a CSV file whose header has an `email` column \
        (and optionally `inviter` and `max_uses`). A bad line is reported with its number; the \
        others are still minted and the exit code is 1.\n\n\
        --data stores the JSON text as app data (read it with `invitation.data::<String>()`); \
        --data-hex stores raw bytes (e.g. postcard of your own type).")]
    Mint(mint::MintArgs),

    /// Verify tokens or links with public keys; with no TOKEN, one per line from stdin.
    #[command(after_help = "Examples:\n  \
        admit verify --pub pub.pem --context acme/invite 'https://acme.test/join?invitation=…'\n  \
        admit verify --pub new.pem --pub old.pem --context acme/invite < tokens.txt\n  \
        admit verify --pub pub.pem --context acme/invite --at 2030-01-01T00:00:00Z TOKEN\n\n\
        One result line per input line. A single token exits with the code of its result; a \
        batch exits 0 only when every token is valid, else 1.")]
    Verify(check::VerifyArgs),

    /// Decode a token WITHOUT verifying it: shows what it claims and which key it names.
    #[command(after_help = "Example:\n  admit inspect 'https://acme.test/join?invitation=…'")]
    Inspect {
        /// A token, or a link or query string that holds one.
        token: String,
        /// Output: text, json (one object) or csv (a header and one row).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },

    /// Revoke one invitation (by ID, token or link), or all issued before a time.
    #[command(after_help = "Examples:\n  \
        admit revoke --store redis://127.0.0.1/ 2ae028bca04bc6d53472232b\n  \
        admit revoke --store redis://127.0.0.1/ --pub pub.pem --context acme/invite TOKEN\n  \
        admit revoke --store redis://127.0.0.1/ --issued-before now\n  \
        admit revoke --store redis://127.0.0.1/ --issued-before 2026-11-23T08:00:00Z --inviter mallory\n\n\
        A token is verified when --pub and --context are given, and the revocation is then kept \
        until its expiry (plus the store's margin). Without them, only its ID is used and the \
        revocation is kept as long as the store keeps the invitation's state, or forever: an \
        expiry read from a token nobody verified could be forged to cut the revocation short.")]
    Revoke(store::RevokeArgs),

    /// Show what the store knows about an invitation.
    #[command(
        after_help = "Example:\n  admit status --store redis://127.0.0.1/ 2ae028bca04bc6d53472232b"
    )]
    Status(store::StatusArgs),

    /// Verify a token and redeem it for a joiner.
    #[command(
        after_help = "Example:\n  admit redeem --store redis://127.0.0.1/ --pub pub.pem --context acme/invite \\\n      \
        --joiner user-42 'https://acme.test/join?invitation=…'"
    )]
    Redeem(store::RedeemArgs),

    /// Short codes: create one for a token, or find the token behind one.
    #[command(subcommand)]
    Code(store::CodeCommand),

    /// List recorded invitations that have not expired, soonest expiry first, a page at a
    /// time (or --all).
    #[command(after_help = "Examples:\n  \
        ADMIT_STORE_URL=redis://127.0.0.1/ admit list --inviter grace\n  \
        admit list --limit 1000 --after 1767225600.0123456789abcdef01234567\n  \
        admit list --all --format json > invitations.jsonl\n  \
        admit list --expired\n\n\
        A full page ends with a line on stderr naming the --after value of the next page. \
        --expired adds invitations that expired but the store still remembers (for an hour \
        after expiry by default).")]
    List(store_list::ListArgs),

    /// The store's event log (issued, visited, redeemed, exhausted, revoked, rule_added,
    /// code_created), oldest first; --follow keeps printing new events as they happen.
    #[command(after_help = "Examples:\n  \
        admit events --store sqlite://admit.db\n  \
        admit events --store redis://127.0.0.1/ --follow --format json | my-consumer\n  \
        admit events --invitation 2ae028bca04bc6d53472232b   # one invitation's timeline\n  \
        admit events --kind revoked,rule_added --format csv > revocations.csv   # who revoked what\n  \
        admit events --after 1765101000000-3 --limit 500\n\n\
        Each event ends with its cursor (@…, or the `cursor` field): pass it to --after to go \
        on from there. --follow runs until Ctrl-C or SIGTERM, then prints the cursor to resume \
        from on stderr and exits 0.")]
    Events(events::EventsArgs),

    /// Funnel numbers: of the invitations issued in a period, how many were opened (visited
    /// or redeemed) and redeemed until now, and how many joined, per inviter.
    #[command(after_help = "Examples:\n  \
        admit funnel --store sqlite://admit.db                      # the last 7 days\n  \
        admit funnel --store postgres://… --from 2026-11-01 --to 2026-12-01 --format csv\n  \
        admit funnel --store redis://127.0.0.1/ --inviter grace --format json\n\n\
        Counts invitations recorded with record_issued (the admin's and `admit mint --store` \
        do) whose events the store still keeps; rates are opened/issued, redeemed/opened and \
        redeemed/issued (conversion).")]
    Funnel(funnel::FunnelArgs),

    /// Webhooks: deliver the store's events to an endpoint (run), see where it stands
    /// (status), make a secret, check a delivery (verify).
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),

    /// Revocation lists for verifiers without a store: publish one from the store, look
    /// inside one.
    #[command(subcommand)]
    Revocations(revocations::RevocationsCommand),

    /// Set up and check the store: init, health.
    #[command(subcommand)]
    Store(store_admin::StoreCommand),

    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  \
        admit completions bash > ~/.local/share/bash-completion/completions/admit\n  \
        admit completions zsh > ~/.zfunc/_admit\n  \
        admit completions fish > ~/.config/fish/completions/admit.fish")]
    Completions(manual::CompletionsArgs),

    /// Print the man page (roff), or write one per command into a directory.
    #[command(after_help = "Examples:\n  admit man | man -l -\n  \
        admit man --dir /usr/local/share/man/man1")]
    Man(manual::ManArgs),
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Csv,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with code 0; usage errors to stderr with code 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { util::USAGE } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("admit: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Keygen { out, force } => keys::keygen(&out, force),
        Command::Pubkey { key } => keys::pubkey(&key),
        Command::Mint(args) => mint::mint(args),
        Command::Verify(args) => check::verify(args),
        Command::Inspect { token, format } => check::inspect(&token, format),
        Command::Revoke(args) => store::revoke(args),
        Command::Status(args) => store::status(args),
        Command::Redeem(args) => store::redeem(args),
        Command::List(args) => store_list::list(args),
        Command::Events(args) => events::events(args),
        Command::Funnel(args) => funnel::funnel(args),
        Command::Webhooks(command) => webhooks::webhooks(command),
        Command::Revocations(command) => revocations::run(command),
        Command::Code(command) => store::code(command),
        Command::Store(command) => store_admin::run(command),
        Command::Completions(args) => manual::completions(&args),
        Command::Man(args) => manual::man(&args),
    }
}
