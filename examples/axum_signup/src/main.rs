//! The sign-up service of `src/lib.rs`, with its settings from the environment (`--help`).

use std::process::ExitCode;
use std::sync::Arc;

use admit::Error;
use admit::store::AnyStore;
use axum_signup::settings::{self, Command};
use axum_signup::{App, serve};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            // One sentence a person can act on: never a debug dump.
            eprintln!("axum-signup: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let init = match settings::command(std::env::args().skip(1))? {
        Command::Help => {
            print!("{}", settings::HELP);
            return Ok(());
        }
        Command::Serve { init } => init,
    };
    let key_file = settings::key_file(std::env::var("ADMIT_SIGNING_KEY_FILE").ok());
    let (key, created) = settings::signing_key(&key_file, init)?;
    if created {
        println!(
            "created the signing key {} at {} (keep it: links signed with it stop working \
             without it)",
            key.key_id(),
            key_file.display()
        );
    }
    // Secrets come from the environment and are never printed.
    let admin_password = std::env::var("ADMIN_PASSWORD").unwrap_or_default();
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (ADDR): {e}"))?;
    let bound = listener
        .local_addr()
        .map_or_else(|_| addr.clone(), |a| a.to_string());
    let public_url = std::env::var("PUBLIC_URL").unwrap_or_else(|_| format!("http://{bound}"));
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err("PUBLIC_URL must be an http:// or https:// URL, like https://acme.test".into());
    }

    // A store is set up once, deliberately: `--init` here, or `admit store init --store URL`.
    // Afterwards the service refuses a store that is not set up (a lost SQLite file, a Redis
    // that restarted empty) instead of starting afresh and forgetting revocations.
    let url = std::env::var("ADMIT_STORE_URL")
        .or_else(|_| std::env::var("ADMIT_REDIS_URL"))
        .unwrap_or_else(|_| "memory:".to_owned());
    let builder = AnyStore::builder();
    let builder = if init {
        builder.create_if_missing()
    } else {
        builder
    };
    let store = match builder.connect(&url).await {
        Err(Error::StoreNotInitialized) => {
            return Err(
                "the store is not set up: run this once with --init (or `admit store \
                        init`); if it was set up before, its data was lost: see SECURITY.md"
                    .into(),
            );
        }
        Err(e) => return Err(format!("cannot open the store (ADMIT_STORE_URL): {e}")),
        Ok(store) => store,
    };
    let app = App::new(key, store, admin_password.clone(), &public_url, "accounts")
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    println!(
        "listening on {bound}, public URL {public_url}, signing key {}, store {}",
        app.issuer.key_id(),
        app.store
    );
    if admin_password.is_empty() {
        println!("admin pages are off: set ADMIN_PASSWORD to turn them on");
    } else {
        println!("admin pages: {public_url}/admin (sign in at {public_url}/login)");
    }
    serve(Arc::new(app), listener)
        .await
        .map_err(|e| format!("stopped serving: {e}"))
}
