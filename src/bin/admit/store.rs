//! Store commands (`--store URL`): revoke, status, redeem, codes, and recording minted
//! invitations, on any store the build has (`memory:`, Redis, PostgreSQL, SQLite).

use std::path::PathBuf;

use admit::store::{
    AnyStore, AnyStoreBuilder, CodeSpec, Cutoff, Events, Init, RevocationRule, ShortCodes, Store,
};
use admit::{Error, Invitation, InvitationId, Verifier, VerifyOptions, find_token};
use clap::{Args, Subcommand};

use crate::Format;
use crate::records::csv_line;
use crate::util::{CliError, fmt_time, parse_time_or_now};

/// Where the store is.
#[derive(Args, Clone, Debug)]
pub(crate) struct StoreArgs {
    /// The store: redis://…, rediss://…, redis+cluster://host:port,host:port/, postgres://…,
    /// sqlite://PATH, or memory: (lost when the command exits). A URL with a password belongs
    /// in ADMIT_STORE_URL: a command line shows in `ps` and in shell history.
    // The URL may hold a password: `--help` never shows the variable's value.
    #[arg(
        long,
        env = "ADMIT_STORE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) store: Option<String>,
    /// The same as --store, for a Redis URL (kept for existing scripts).
    #[arg(
        long,
        env = "ADMIT_REDIS_URL",
        value_name = "URL",
        conflicts_with = "store",
        hide_env_values = true
    )]
    pub(crate) redis: Option<String>,
    /// The Redis URL names Redis Cluster nodes (several: comma-separated); the same as a
    /// redis+cluster:// URL.
    #[arg(long)]
    pub(crate) cluster: bool,
    /// Key prefix (Redis; default `admit:`) or table prefix (PostgreSQL, SQLite; default
    /// `admit_`).
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// Who is acting, written into every event this command records (revocations, rules,
    /// records, codes): say, `ops:grace`. Defaults to `cli:$USER` when USER is set.
    #[arg(long, env = "ADMIT_ACTOR", value_name = "NAME")]
    actor: Option<String>,
}

impl StoreArgs {
    /// Whether a store was named.
    pub(crate) fn given(&self) -> bool {
        self.store.is_some() || self.redis.is_some()
    }

    /// The URL, or the usage error that says how to give one.
    pub(crate) fn url(&self) -> Result<String, CliError> {
        let url = self
            .store
            .as_deref()
            .or(self.redis.as_deref())
            .ok_or_else(|| {
                CliError::usage("this command needs --store URL (or ADMIT_STORE_URL)")
            })?;
        Ok(if self.cluster {
            cluster_url(url)
        } else {
            url.to_owned()
        })
    }

    /// The actor of the events this command writes: --actor, or `cli:$USER`.
    fn actor(&self) -> Option<String> {
        self.actor.clone().or_else(|| {
            std::env::var("USER")
                .ok()
                .filter(|u| !u.is_empty())
                .map(|u| format!("cli:{u}"))
        })
    }

    pub(crate) fn builder(&self) -> AnyStoreBuilder {
        // One command, then the process exits: no background re-check.
        let builder = AnyStore::builder().recheck(None);
        match &self.prefix {
            Some(p) => builder.prefix(p.clone()),
            None => builder,
        }
    }
}

/// `--cluster` with `redis://a:7000/,redis://b:7001/` (or `a:7000,b:7001`) as the
/// `redis+cluster://a:7000,b:7001/` URL it means.
fn cluster_url(list: &str) -> String {
    let tls = list.trim_start().starts_with("rediss://");
    let hosts: Vec<&str> = list
        .split(',')
        .map(|u| {
            let u = u.trim();
            let u = u
                .strip_prefix("rediss://")
                .or(u.strip_prefix("redis://"))
                .unwrap_or(u);
            u.split('/').next().unwrap_or(u)
        })
        .collect();
    let scheme = if tls { "rediss" } else { "redis" };
    format!("{scheme}+cluster://{}/", hosts.join(","))
}

/// A runtime for the async store calls of one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("cannot start the async runtime: {e}")))
}

/// A connected store and the runtime that drives it.
pub(crate) struct Connected {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) store: AnyStore,
}

impl Connected {
    /// Connects when `--store` (or `ADMIT_STORE_URL`, `--redis`, `ADMIT_REDIS_URL`) is given.
    pub(crate) fn maybe(args: &StoreArgs) -> Result<Option<Connected>, CliError> {
        if !args.given() {
            return Ok(None);
        }
        Connected::with(args, Init::Require).map(Some)
    }

    pub(crate) fn required(args: &StoreArgs) -> Result<Connected, CliError> {
        Connected::with(args, Init::Require)
    }

    /// Connects, doing what `init` says about a store that is not set up.
    pub(crate) fn with(args: &StoreArgs, init: Init) -> Result<Connected, CliError> {
        let url = args.url()?;
        let runtime = runtime()?;
        let mut store = runtime
            .block_on(args.builder().init(init).connect(&url))
            .map_err(|e| CliError::admit("--store", &e))?;
        if let Some(actor) = args.actor() {
            store = store
                .acting_as(&actor)
                .map_err(|e| CliError::admit("--actor", &e))?;
        }
        if !store.is_durable() {
            eprintln!("admit: note: the memory: store forgets everything when this command exits");
        }
        Ok(Connected { runtime, store })
    }

    pub(crate) fn check(&self, invitation: &Invitation) -> Result<(), Error> {
        self.runtime.block_on(self.store.check(invitation))
    }
}

/// Records minted invitations in the registry (`mint --store`).
pub(crate) struct Recorder {
    conn: Connected,
    description: Option<String>,
}

impl Recorder {
    pub(crate) fn connect(
        args: &StoreArgs,
        description: Option<String>,
    ) -> Result<Option<Recorder>, CliError> {
        Ok(Connected::maybe(args)?.map(|conn| Recorder { conn, description }))
    }

    pub(crate) fn record(&self, invitation: &Invitation) -> Result<(), CliError> {
        self.conn
            .runtime
            .block_on(
                self.conn
                    .store
                    .record_issued(invitation, self.description.as_deref()),
            )
            .map_err(|e| CliError::admit("recording in the store", &e))
    }
}

/// An invitation ID, or a token or link.
enum Target {
    Id(InvitationId),
    Token(String),
}

fn target(text: &str) -> Result<Target, CliError> {
    if let Ok(id) = text.trim().parse::<InvitationId>() {
        return Ok(Target::Id(id));
    }
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CliError::usage(format!(
            "{trimmed:.40}: not an invitation ID: an ID is 24 hexadecimal digits, this has {}",
            trimmed.len()
        )));
    }
    if trimmed.len() < admit::MIN_TOKEN_LEN {
        return Err(CliError::usage(format!(
            "{trimmed:.40}: not an invitation ID (24 hexadecimal digits) or a token (at least \
             {} characters)",
            admit::MIN_TOKEN_LEN
        )));
    }
    let not_one = |e: &Error| {
        CliError::usage(format!(
            "{text:.40}: not an invitation ID (24 hex digits) or a token: {e}"
        ))
    };
    let token = find_token(text).map_err(|e| not_one(&e))?;
    admit::inspect_unverified(&token).map_err(|e| not_one(&e))?;
    Ok(Target::Token(token.into_owned()))
}

/// The ID of an invitation given as an ID, a token or a link (what the token claims: used
/// only to look the invitation up).
fn target_id(text: &str) -> Result<InvitationId, CliError> {
    match target(text)? {
        Target::Id(id) => Ok(id),
        Target::Token(token) => admit::inspect_unverified(&token)
            .map(|seen| seen.id())
            .map_err(|e| CliError::admit("", &e)),
    }
}

#[derive(Args)]
pub(crate) struct RevokeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Revoke every invitation issued before this time: now, 2026-12-01T09:00:00Z,
    /// 2026-12-01 (UTC), Unix seconds, or -2h.
    #[arg(long, value_name = "TIME", conflicts_with = "invitation")]
    issued_before: Option<String>,
    /// With --issued-before: only this inviter's invitations.
    #[arg(long, value_name = "NAME", requires = "issued_before")]
    inviter: Option<String>,
    /// With --issued-before: accept a time in the future (it also revokes invitations minted
    /// from now until then).
    #[arg(long, requires = "issued_before")]
    allow_future: bool,
    /// A public key (SPKI PEM) to verify a token with, so the revocation is kept until the
    /// token's real expiry; repeat for key rotation. Without it, a token counts for its ID only.
    #[arg(long = "pub", value_name = "FILE", requires = "context")]
    pubs: Vec<PathBuf>,
    /// With --pub: the context the token was minted for.
    #[arg(long, requires = "pubs")]
    context: Option<String>,
    /// The invitation: its ID, its token, or a link.
    #[arg(required_unless_present = "issued_before")]
    invitation: Option<String>,
}

pub(crate) fn revoke(args: RevokeArgs) -> Result<u8, CliError> {
    if let Some(before) = &args.issued_before {
        let before = parse_time_or_now("--issued-before", before)?;
        let cutoff = if args.allow_future {
            Cutoff::allow_future(before)
        } else {
            Cutoff::new(before)
        };
        let conn = Connected::required(&args.store)?;
        // On a Redis Cluster the rule goes to every bucket: show that work is going on.
        let spinner = crate::progress::Progress::waiting(format!(
            "writing the rule (issued before {}) to the store",
            fmt_time(before)
        ));
        let rule = conn
            .runtime
            .block_on(
                conn.store
                    .revoke_issued_before(cutoff, args.inviter.as_deref()),
            )
            .map_err(|e| match e {
                Error::InvalidArgument { name: "before", .. } => CliError::usage(format!(
                    "--issued-before {}: in the future; add --allow-future if you mean to \
                     revoke invitations not minted yet",
                    fmt_time(before)
                )),
                e => CliError::admit("revoke", &e),
            })?;
        spinner.finish();
        println!("revoked every invitation {rule}");
        return Ok(0);
    }
    let text = args.invitation.as_deref().unwrap_or_default();
    // The expiry is trusted only from a verified token: a forged copy with an earlier expiry
    // must not shorten the revocation of the real one.
    let (id, expires_at, note) = match target(text)? {
        Target::Id(id) => (id, None, None),
        Target::Token(token) if !args.pubs.is_empty() => {
            let keys = crate::keys::load_public(&args.pubs)?;
            let context = args.context.as_deref().unwrap_or_default();
            let verifier = Verifier::new(keys, context)
                .map_err(|e| CliError::usage(format!("--context: {e}")))?;
            let invitation = verifier
                .verify(&token)
                .map_err(|e| CliError::admit("not revoked", &e))?;
            (invitation.id(), invitation.expires_at(), None)
        }
        Target::Token(token) => {
            let id = admit::inspect_unverified(&token)
                .map_err(|e| CliError::admit("", &e))?
                .id();
            let note = "(by ID only: give --pub and --context to verify the token and keep \
                        the mark just until it expires)";
            (id, None, Some(note))
        }
    };
    let conn = Connected::required(&args.store)?;
    let newly = conn
        .runtime
        .block_on(conn.store.revoke(id, expires_at))
        .map_err(|e| CliError::admit("revoke", &e))?;
    println!(
        "{id} {}",
        if newly {
            "revoked"
        } else {
            "was already revoked"
        }
    );
    if let Some(note) = note {
        eprintln!("{note}");
    }
    Ok(0)
}

/// The CSV header of `status`.
const STATUS_COLUMNS: [&str; 12] = [
    "id",
    "known",
    "uses",
    "max_uses",
    "revoked_at",
    "revoked_by_rule",
    "description",
    "inviter",
    "email",
    "expires_at",
    "joiner",
    "joined_at",
];

#[derive(Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Output: text, json (one object) or csv (a header, then one row per joiner; one row
    /// with empty joiner fields when nobody joined).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The invitation: its ID, its token, or a link.
    invitation: String,
}

pub(crate) fn status(args: StatusArgs) -> Result<u8, CliError> {
    let id = target_id(&args.invitation)?;
    let conn = Connected::required(&args.store)?;
    let st = conn
        .runtime
        .block_on(conn.store.status(id))
        .map_err(|e| CliError::admit("status", &e))?;
    if args.format == Format::Csv {
        let issued = st.issued.as_ref();
        let head = [
            id.to_string(),
            st.known.to_string(),
            st.uses.to_string(),
            st.max_uses.map(|m| m.to_string()).unwrap_or_default(),
            st.revoked_at.map(fmt_time).unwrap_or_default(),
            st.revoked_by_rule
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            issued
                .and_then(|i| i.description.clone())
                .unwrap_or_default(),
            issued.and_then(|i| i.inviter.clone()).unwrap_or_default(),
            issued.and_then(|i| i.email.clone()).unwrap_or_default(),
            issued
                .and_then(|i| i.expires_at)
                .map(fmt_time)
                .unwrap_or_default(),
        ];
        let mut out = csv_line(STATUS_COLUMNS)?;
        let joiners: Vec<[String; 2]> = match st.joiners.as_slice() {
            [] => vec![[String::new(), String::new()]],
            all => all
                .iter()
                .map(|j| [j.joiner.clone(), fmt_time(j.joined_at)])
                .collect(),
        };
        for joiner in joiners {
            out.push_str(&csv_line(head.iter().chain(&joiner))?);
        }
        print!("{out}");
        return Ok(0);
    }
    if args.format == Format::Json {
        let joiners: Vec<serde_json::Value> = st
            .joiners
            .iter()
            .map(|j| serde_json::json!({"joiner": j.joiner, "joined_at": fmt_time(j.joined_at)}))
            .collect();
        let v = serde_json::json!({
            "id": id.to_string(),
            "known": st.known,
            "uses": st.uses,
            "max_uses": st.max_uses,
            "revoked_at": st.revoked_at.map(fmt_time),
            "revoked_by_rule": st.revoked_by_rule.as_ref().map(rule_json),
            "joiners": joiners,
            "description": st.issued.as_ref().and_then(|i| i.description.clone()),
            "inviter": st.issued.as_ref().and_then(|i| i.inviter.clone()),
            "email": st.issued.as_ref().and_then(|i| i.email.clone()),
            "expires_at": st.issued.as_ref().and_then(|i| i.expires_at).map(fmt_time),
        });
        println!("{v}");
        return Ok(0);
    }
    println!("id          {id}");
    if !st.known {
        println!("the store has no record of it (never redeemed, or expired and forgotten)");
        return Ok(0);
    }
    match st.max_uses {
        Some(max) => println!("uses        {} of {max}", st.uses),
        None => println!("uses        {}", st.uses),
    }
    if let Some(at) = st.revoked_at {
        println!("revoked     at {} (by ID)", fmt_time(at));
    }
    if let Some(rule) = &st.revoked_by_rule {
        println!("revoked     {rule} (a rule)");
    }
    if !st.is_revoked() {
        println!("revoked     no");
    }
    if let Some(i) = &st.issued {
        println!("issued at   {}", fmt_time(i.issued_at));
        println!(
            "expires at  {}",
            i.expires_at.map_or_else(|| "never".to_owned(), fmt_time)
        );
        if let Some(e) = &i.email {
            println!("email       {e}");
        }
        if let Some(inv) = &i.inviter {
            println!("inviter     {inv}");
        }
        if let Some(d) = &i.description {
            println!("description {d}");
        }
    }
    for j in &st.joiners {
        println!("joined      {} at {}", j.joiner, fmt_time(j.joined_at));
    }
    Ok(0)
}

#[derive(Args)]
pub(crate) struct RedeemArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A public key (SPKI PEM); repeat for key rotation.
    #[arg(long = "pub", value_name = "FILE", required = true)]
    pubs: Vec<PathBuf>,
    /// The context the token was minted for.
    #[arg(long)]
    context: String,
    /// Who joins (your user ID).
    #[arg(long, value_name = "ID")]
    joiner: String,
    /// The email address the joiner signed up with.
    #[arg(long, value_name = "EMAIL")]
    email: Option<String>,
    /// The token, or a link holding one.
    token: String,
}

pub(crate) fn redeem(args: RedeemArgs) -> Result<u8, CliError> {
    let keys = crate::keys::load_public(&args.pubs)?;
    let verifier = Verifier::new(keys, &args.context)
        .map_err(|e| CliError::usage(format!("--context: {e}")))?;
    let conn = Connected::required(&args.store)?;
    let token = find_token(&args.token).map_err(|e| CliError::admit("", &e))?;
    let mut options = VerifyOptions::new();
    if let Some(email) = &args.email {
        options = options.email(email);
    }
    let (invitation, r) = conn
        .runtime
        .block_on(verifier.verify_and_redeem(&token, options, &conn.store, &args.joiner))
        .map_err(|e| CliError::admit("", &e))?;
    let limit = invitation
        .max_uses()
        .map_or_else(String::new, |m| format!(" of {m}"));
    if r.repeated {
        println!(
            "{} had already joined with {} at {} (use {}{limit}; not counted again)",
            args.joiner,
            invitation.id(),
            fmt_time(r.joined_at),
            r.uses
        );
    } else {
        println!(
            "{} joined with {} (use {}{limit})",
            args.joiner,
            invitation.id(),
            r.uses
        );
    }
    Ok(0)
}

/// A revocation rule as JSON.
pub(crate) fn rule_json(rule: &RevocationRule) -> serde_json::Value {
    serde_json::json!({
        "issued_before": fmt_time(rule.issued_before),
        "inviter": rule.inviter,
    })
}

#[derive(Subcommand)]
pub(crate) enum CodeCommand {
    /// Register a short code for a token (random, or --code for your own).
    #[command(after_help = "Examples:\n  \
        admit code create --store redis://127.0.0.1/ 'https://acme.test/join?invitation=…'\n  \
        admit code create --store redis://127.0.0.1/ --code LAUNCH-2024 TOKEN")]
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// Your own code (4 to 32 letters and digits), instead of a random one.
        #[arg(long, value_name = "CODE")]
        code: Option<String>,
        /// Length of a random code: 8 or 10 characters, plus a check character.
        #[arg(long, default_value_t = 8, conflicts_with = "code")]
        length: usize,
        /// The token, or a link holding one.
        token: String,
    },
    /// Print the token behind a short code.
    #[command(after_help = "Example:\n  admit code resolve --store redis://127.0.0.1/ 7K3M-Q9XWD")]
    Resolve {
        #[command(flatten)]
        store: StoreArgs,
        /// The code, as typed (case, dashes and spaces do not matter).
        code: String,
    },
}

pub(crate) fn code(command: CodeCommand) -> Result<u8, CliError> {
    match command {
        CodeCommand::Create {
            store,
            code,
            length,
            token,
        } => {
            let conn = Connected::required(&store)?;
            let token = find_token(&token).map_err(|e| CliError::admit("", &e))?;
            let spec = match code {
                Some(c) => CodeSpec::vanity(c),
                None => CodeSpec::random_len(length),
            };
            let shown = conn
                .runtime
                .block_on(conn.store.create_code(&token, &spec))
                .map_err(|e| CliError::admit("code", &e))?;
            println!("{shown}");
            Ok(0)
        }
        CodeCommand::Resolve { store, code } => {
            let conn = Connected::required(&store)?;
            let token = conn
                .runtime
                .block_on(conn.store.resolve_code(&code))
                .map_err(|e| CliError::admit("code", &e))?;
            println!("{token}");
            Ok(0)
        }
    }
}
