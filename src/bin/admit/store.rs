//! Store commands (`--redis`): revoke, status, redeem, list, and recording minted invitations.

use std::path::PathBuf;

use admit::store::{CodeSpec, ListFilter, RedisStore, Store};
use admit::{Error, Invitation, InvitationId, Verifier, VerifyOptions, find_token};
use clap::{Args, Subcommand};
use time::OffsetDateTime;

use crate::Format;
use crate::util::{CliError, fmt_time, parse_time};

/// Where the store is.
#[derive(Args, Clone, Debug)]
pub(crate) struct StoreArgs {
    /// Redis URL (with --cluster: any cluster node, or several, comma-separated).
    #[arg(long, env = "ADMIT_REDIS_URL", value_name = "URL")]
    pub(crate) redis: Option<String>,
    /// The Redis URL is a Redis Cluster.
    #[cfg(feature = "cluster")]
    #[arg(long)]
    cluster: bool,
    /// Key prefix in Redis.
    #[arg(long, default_value = "admit:", value_name = "PREFIX")]
    prefix: String,
}

/// A connected store and the runtime that drives it.
pub(crate) struct Connected {
    runtime: tokio::runtime::Runtime,
    store: RedisStore,
}

impl Connected {
    /// Connects when `--redis` (or `ADMIT_REDIS_URL`) is given.
    pub(crate) fn maybe(args: &StoreArgs) -> Result<Option<Connected>, CliError> {
        let Some(url) = &args.redis else {
            return Ok(None);
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::usage(format!("cannot start the async runtime: {e}")))?;
        let builder = RedisStore::builder().prefix(args.prefix.clone());
        #[cfg(feature = "cluster")]
        if args.cluster {
            let urls: Vec<&str> = url.split(',').collect();
            let store = runtime
                .block_on(builder.connect_cluster(&urls))
                .map_err(|e| CliError::admit("--redis", &e))?;
            return Ok(Some(Connected { runtime, store }));
        }
        let store = runtime
            .block_on(builder.connect(url))
            .map_err(|e| CliError::admit("--redis", &e))?;
        Ok(Some(Connected { runtime, store }))
    }

    pub(crate) fn required(args: &StoreArgs) -> Result<Connected, CliError> {
        Connected::maybe(args)?
            .ok_or_else(|| CliError::usage("this command needs --redis URL (or ADMIT_REDIS_URL)"))
    }

    pub(crate) fn check(&self, invitation: &Invitation) -> Result<(), Error> {
        self.runtime.block_on(self.store.check(invitation))
    }
}

/// Records minted invitations in the registry (`mint --redis`).
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

/// An invitation ID, or a token or link to take it (and its expiry) from.
fn target(text: &str) -> Result<(InvitationId, Option<OffsetDateTime>), CliError> {
    if let Ok(id) = text.trim().parse::<InvitationId>() {
        return Ok((id, None));
    }
    let token = find_token(text).map_err(|e| {
        CliError::usage(format!(
            "{text:.40}: not an invitation ID (24 hex digits) or a token: {e}"
        ))
    })?;
    let seen = admit::inspect_unverified(&token).map_err(|e| {
        CliError::usage(format!(
            "{text:.40}: not an invitation ID (24 hex digits) or a token: {e}"
        ))
    })?;
    Ok((seen.id(), seen.expires_at()))
}

#[derive(Args)]
pub(crate) struct RevokeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Revoke every invitation issued before this time (RFC 3339).
    #[arg(long, value_name = "RFC3339", conflicts_with = "invitation")]
    issued_before: Option<String>,
    /// With --issued-before: only this inviter's invitations.
    #[arg(long, value_name = "NAME", requires = "issued_before")]
    inviter: Option<String>,
    /// The invitation: its ID, its token, or a link.
    #[arg(required_unless_present = "issued_before")]
    invitation: Option<String>,
}

pub(crate) fn revoke(args: RevokeArgs) -> Result<u8, CliError> {
    let conn = Connected::required(&args.store)?;
    if let Some(before) = &args.issued_before {
        let before = parse_time("--issued-before", before)?;
        conn.runtime
            .block_on(
                conn.store
                    .revoke_issued_before(before, args.inviter.as_deref()),
            )
            .map_err(|e| CliError::admit("revoke", &e))?;
        match &args.inviter {
            Some(i) => println!(
                "revoked every invitation of {i:?} issued before {}",
                fmt_time(before)
            ),
            None => println!(
                "revoked every invitation issued before {}",
                fmt_time(before)
            ),
        }
        return Ok(0);
    }
    let (id, expires) = target(args.invitation.as_deref().unwrap_or_default())?;
    let newly = conn
        .runtime
        .block_on(conn.store.revoke(id, expires))
        .map_err(|e| CliError::admit("revoke", &e))?;
    println!(
        "{id} {}",
        if newly {
            "revoked"
        } else {
            "was already revoked"
        }
    );
    Ok(0)
}

#[derive(Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The invitation: its ID, its token, or a link.
    invitation: String,
}

pub(crate) fn status(args: StatusArgs) -> Result<u8, CliError> {
    let conn = Connected::required(&args.store)?;
    let (id, _) = target(&args.invitation)?;
    let st = conn
        .runtime
        .block_on(conn.store.status(id))
        .map_err(|e| CliError::admit("status", &e))?;
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
    println!(
        "revoked     {}",
        st.revoked_at.map_or_else(|| "no".to_owned(), fmt_time)
    );
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

#[derive(Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only invitations of this inviter.
    #[arg(long, value_name = "NAME")]
    inviter: Option<String>,
    /// At most this many (1 to 1000).
    #[arg(long, default_value_t = 100)]
    limit: usize,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn list(args: ListArgs) -> Result<u8, CliError> {
    let conn = Connected::required(&args.store)?;
    let mut filter = ListFilter::new().limit(args.limit);
    if let Some(i) = &args.inviter {
        filter = filter.inviter(i.clone());
    }
    let found = conn
        .runtime
        .block_on(conn.store.list(&filter))
        .map_err(|e| CliError::admit("list", &e))?;
    for i in &found {
        let expires = i.expires_at.map_or_else(|| "never".to_owned(), fmt_time);
        let uses = match i.max_uses {
            Some(m) => format!("{}/{m}", i.uses),
            None => i.uses.to_string(),
        };
        match args.format {
            Format::Json => println!(
                "{}",
                serde_json::json!({
                    "id": i.id.to_string(),
                    "issued_at": fmt_time(i.issued_at),
                    "expires_at": i.expires_at.map(fmt_time),
                    "email": i.email,
                    "inviter": i.inviter,
                    "description": i.description,
                    "uses": i.uses,
                    "max_uses": i.max_uses,
                    "revoked_at": i.revoked_at.map(fmt_time),
                })
            ),
            _ => println!(
                "{}  expires {expires}  uses {uses}{}  {}{}{}",
                i.id,
                if i.revoked_at.is_some() {
                    "  REVOKED"
                } else {
                    ""
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
    }
    if found.is_empty() && args.format == Format::Text {
        eprintln!("no active recorded invitations");
    }
    Ok(0)
}

#[derive(Subcommand)]
pub(crate) enum CodeCommand {
    /// Register a short code for a token (random, or --code for your own).
    #[command(after_help = "Examples:\n  \
        admit code create --redis redis://127.0.0.1/ 'https://acme.test/join?invitation=…'\n  \
        admit code create --redis redis://127.0.0.1/ --code LAUNCH-2024 TOKEN")]
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
    #[command(after_help = "Example:\n  admit code resolve --redis redis://127.0.0.1/ 7K3M-Q9XWD")]
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
