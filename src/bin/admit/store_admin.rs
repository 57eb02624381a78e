//! `admit store init` and `admit store health`: setting a store up, and checking it.

use admit::store::{Health, Init, Store, Verdict};
use clap::{Args, Subcommand};

use crate::Format;
use crate::records::csv_line;
use crate::store::{Connected, StoreArgs, runtime};
use crate::util::{CliError, FAILED, fmt_time, parse_time_or_now};

#[derive(Subcommand)]
pub(crate) enum StoreCommand {
    /// Set a store up: the initialization marker on Redis, the tables on PostgreSQL and
    /// SQLite (migrate); after data loss, with --revoke-issued-before.
    #[command(after_help = "Examples:\n  \
        ADMIT_STORE_URL=redis://127.0.0.1/ admit store init\n  \
        admit store init --store postgres://admit@db.internal/app\n  \
        admit store init --store sqlite:///var/lib/app/admit.db\n  \
        ADMIT_STORE_URL=redis://127.0.0.1/ admit store init --revoke-issued-before now\n\n\
        Until a store is set up, every call fails (store_not_initialized, exit 7). A new \
        Redis and one that lost its data look the same, so only you can say which it is: on a \
        new one, run `admit store init`; after data loss (an empty restart, FLUSHALL, a \
        failover to an empty replica, a database restored from an old backup), run it with \
        --revoke-issued-before set to the time of the loss (or now), which revokes, in the \
        same step, every invitation the lost data might have refused — then re-send the \
        invitations that should still work. On PostgreSQL and SQLite, `init` creates or \
        updates the tables (safe to repeat).")]
    Init(InitArgs),
    /// Report what the store's promises depend on (Redis: eviction, persistence, replication,
    /// clock offset; SQL: schema and durability), each with a verdict (exit 1 when any is
    /// unsafe).
    #[command(
        after_help = "Examples:\n  ADMIT_STORE_URL=redis://127.0.0.1/ admit store health\n  \
        admit store health --store sqlite:///var/lib/app/admit.db --format json"
    )]
    Health(HealthArgs),
}

#[derive(Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// After data loss: also revoke every invitation issued before this time (`now`, RFC
    /// 3339, a date, Unix seconds, or `=-2h`), in the same step as the setup (on Redis
    /// Cluster, in every bucket).
    #[arg(long, value_name = "TIME")]
    revoke_issued_before: Option<String>,
}

#[derive(Args)]
pub(crate) struct HealthArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Output: text, json (one object) or csv (a header, then one row per check).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn run(command: StoreCommand) -> Result<u8, CliError> {
    match command {
        StoreCommand::Init(args) => init(args),
        StoreCommand::Health(args) => health(args),
    }
}

fn init(args: InitArgs) -> Result<u8, CliError> {
    let init = match &args.revoke_issued_before {
        Some(t) => Init::RecoverFromDataLoss {
            revoke_issued_before: parse_time_or_now("--revoke-issued-before", t)?,
        },
        None => Init::CreateIfMissing,
    };
    let conn = Connected::with(&args.store, init)?;
    let health = conn
        .runtime
        .block_on(conn.store.health())
        .map_err(|e| CliError::admit("health", &e))?;
    for check in health.checks.iter().filter(|c| c.name == "initialized") {
        println!("initialized {}{}", node(&check.node), check.found);
    }
    if let Init::RecoverFromDataLoss {
        revoke_issued_before,
    } = init
    {
        println!(
            "revoked every invitation issued before {}",
            fmt_time(revoke_issued_before)
        );
    }
    for check in health.problems().filter(|c| c.name != "initialized") {
        eprintln!(
            "{} {}{}: {} ({})",
            check.verdict,
            node(&check.node),
            check.name,
            check.found,
            check.advice
        );
    }
    Ok(0)
}

fn node(node: &Option<String>) -> String {
    node.as_deref().map(|n| format!("{n} ")).unwrap_or_default()
}

fn health(args: HealthArgs) -> Result<u8, CliError> {
    let url = args.store.url()?;
    let runtime = runtime()?;
    let builder = args.store.builder();
    let health: Health = runtime
        .block_on(builder.health(&url))
        .map_err(|e| CliError::admit("--store", &e))?;
    match args.format {
        Format::Csv => {
            let mut out = csv_line(["backend", "name", "node", "verdict", "found", "advice"])?;
            for c in &health.checks {
                out.push_str(&csv_line([
                    health.backend,
                    c.name,
                    c.node.as_deref().unwrap_or_default(),
                    c.verdict.as_str(),
                    &c.found,
                    &c.advice,
                ])?);
            }
            print!("{out}");
        }
        Format::Json => {
            let checks: Vec<serde_json::Value> = health
                .checks
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "name": c.name,
                        "node": c.node,
                        "found": c.found,
                        "verdict": c.verdict.as_str(),
                        "advice": c.advice,
                    })
                })
                .collect();
            let report = serde_json::json!({
                "backend": health.backend,
                "verdict": health.verdict().as_str(),
                "checks": checks,
            });
            println!("{report}");
        }
        Format::Text => {
            for c in &health.checks {
                println!(
                    "{:<8} {:<12} {}{}",
                    c.verdict,
                    c.name,
                    node(&c.node),
                    c.found
                );
                if c.verdict != Verdict::Ok {
                    println!("{:<21} {}", "", c.advice);
                }
            }
            println!("overall  {}", health.verdict());
        }
    }
    Ok(if health.verdict() == Verdict::Unsafe {
        FAILED
    } else {
        0
    })
}
