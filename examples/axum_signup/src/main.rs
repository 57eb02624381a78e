//! The sign-up service of `src/lib.rs`, with its settings from the environment (see there).

use std::sync::Arc;

use admit::store::AnyStore;
use admit::{Error, SigningKey};
use axum_signup::{App, serve};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = match std::env::var("ADMIT_SIGNING_KEY_FILE") {
        Ok(path) => SigningKey::from_pkcs8_pem(&std::fs::read_to_string(path)?)?,
        Err(_) => SigningKey::generate()?,
    };
    // Secrets come from the environment and are never printed.
    let admin_password = std::env::var("ADMIN_PASSWORD").unwrap_or_default();
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let public_url = std::env::var("PUBLIC_URL").unwrap_or_else(|_| format!("http://{addr}"));
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        eprintln!("PUBLIC_URL must be an http:// or https:// URL, like https://acme.test");
        std::process::exit(1);
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "listening on {addr}, public URL {public_url} (signing key {})",
        key.key_id()
    );
    if admin_password.is_empty() {
        println!("admin pages are off: set ADMIN_PASSWORD to turn them on");
    }

    // A store is set up once, deliberately: `--init` here, or `admit store init --store URL`.
    // Afterwards the service refuses a store that is not set up (a lost SQLite file, a Redis
    // that restarted empty) instead of starting afresh and forgetting revocations.
    let url = std::env::var("ADMIT_STORE_URL")
        .or_else(|_| std::env::var("ADMIT_REDIS_URL"))
        .unwrap_or_else(|_| "memory:".to_owned());
    let builder = AnyStore::builder();
    let builder = if std::env::args().any(|a| a == "--init") {
        builder.create_if_missing()
    } else {
        builder
    };
    let store = match builder.connect(&url).await {
        Err(Error::StoreNotInitialized) => {
            eprintln!(
                "the store is not set up: run this once with --init (or `admit store init`); \
                 if it was set up before, its data was lost: see SECURITY.md"
            );
            std::process::exit(1);
        }
        store => store?,
    };
    println!("store: {store}");
    let app = App::new(key, store, admin_password, &public_url, "accounts").await?;
    Ok(serve(Arc::new(app), listener).await?)
}
