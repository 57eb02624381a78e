//! Store errors that name their cause, on every backend with a server or a file: a refused
//! password (and for which user), nothing listening, a failed TLS handshake, a missing
//! database, a file that cannot be opened — and a PostgreSQL that goes down while the store runs
//! reads as down, never as "every connection of the pool is busy".

use std::time::Duration as StdDuration;

use admit::{ConnectProblem, Error};

fn problem(result: Result<impl core::fmt::Debug, Error>) -> ConnectProblem {
    match result {
        Err(Error::StoreConnect { problem }) => problem,
        other => panic!("expected StoreConnect, got {other:?}"),
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use admit::store::{PgStore, Store};

    use crate::support::postgres_server::{self, PostgresServer};

    async fn connect(url: &str) -> Result<PgStore, Error> {
        PgStore::builder()
            .deadline(StdDuration::from_secs(3))
            .connect(url)
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_password_a_missing_database_and_no_tls_are_named() {
        let started = tokio::task::spawn_blocking(|| {
            postgres_server::available().then(|| PostgresServer::start_with_password("right"))
        });
        let Some(server) = started.await.unwrap() else {
            return;
        };
        let port = server.port;
        let url = |user_password: &str, db: &str| {
            format!("postgres://{user_password}@127.0.0.1:{port}/{db}")
        };

        let wrong = problem(connect(&url("postgres:wrong", "postgres")).await);
        assert_eq!(
            wrong,
            ConnectProblem::AuthenticationFailed {
                server: "PostgreSQL",
                user: "postgres".into()
            }
        );
        let said = Error::StoreConnect { problem: wrong }.to_string();
        assert!(
            said.contains("refused the password of user \"postgres\"") && !said.contains("wrong"),
            "names the user, never the password: {said}"
        );
        let nobody = problem(connect(&url("nobody:x", "postgres")).await);
        assert!(
            matches!(&nobody, ConnectProblem::AuthenticationFailed { user, .. } if user == "nobody"),
            "{nobody:?}"
        );

        let missing = problem(connect(&url("postgres:right", "no_such_db")).await);
        assert_eq!(
            missing,
            ConnectProblem::NoSuchDatabase {
                server: "PostgreSQL",
                name: "no_such_db".into()
            }
        );
        assert!(missing.to_string().contains("createdb no_such_db"));

        // The test server offers no TLS: requiring it fails the handshake, and says so.
        let tls = problem(
            connect(&format!(
                "{}?sslmode=require",
                url("postgres:right", "postgres")
            ))
            .await,
        );
        assert!(matches!(tls, ConnectProblem::Tls { .. }), "{tls:?}");

        // The right password works.
        let store = connect(&url("postgres:right", "postgres")).await.unwrap();
        store.migrate().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nothing_listening_is_named_at_start_and_while_running() {
        let port = crate::support::redis_server::free_port();
        let refused =
            problem(connect(&format!("postgres://postgres@127.0.0.1:{port}/postgres")).await);
        assert_eq!(
            refused,
            ConnectProblem::ConnectionRefused {
                server: "PostgreSQL",
                address: format!("127.0.0.1:{port}")
            }
        );

        let started = tokio::task::spawn_blocking(|| {
            postgres_server::available().then(PostgresServer::start)
        });
        let Some(mut server) = started.await.unwrap() else {
            return;
        };
        let store = PgStore::builder()
            .prefix(super::super::harness::unique_table_prefix())
            .deadline(StdDuration::from_millis(800))
            .max_connections(2)
            .connect(&server.url())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let inv = super::super::mint(admit::Invitation::builder());
        store.check(&inv).await.unwrap();
        let address = format!("127.0.0.1:{}", server.port);
        tokio::task::spawn_blocking(move || {
            server.kill9();
            server
        })
        .await
        .unwrap();
        // The connections it had break first (a lost connection); then no new one can be
        // opened, which is what it says — never that the pool is busy.
        let mut named = false;
        for _ in 0..10 {
            match store.check(&inv).await {
                Err(Error::StoreConnect { problem }) => {
                    assert_eq!(
                        problem,
                        ConnectProblem::ConnectionRefused {
                            server: "PostgreSQL",
                            address: address.clone()
                        }
                    );
                    named = true;
                    break;
                }
                Err(Error::StoreUnavailable { reason }) => {
                    assert!(!reason.contains("busy"), "{reason}");
                }
                Err(Error::StoreTimeout { .. }) => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(named, "a server that is down is named as such");
    }
}

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use admit::store::RedisStore;

    use crate::support::redis_server::{self, RedisServer};

    async fn connect(url: &str) -> Result<RedisStore, Error> {
        RedisStore::builder()
            .deadline(StdDuration::from_secs(3))
            .connect(url)
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_password_and_nothing_listening_are_named() {
        let port = redis_server::free_port();
        let refused = problem(connect(&format!("redis://127.0.0.1:{port}/")).await);
        assert_eq!(
            refused,
            ConnectProblem::ConnectionRefused {
                server: "Redis",
                address: format!("127.0.0.1:{port}")
            }
        );

        if !redis_server::available() {
            return;
        }
        let server = tokio::task::spawn_blocking(|| {
            RedisServer::start(&["--save", "", "--appendonly", "no", "--requirepass", "right"])
        })
        .await
        .unwrap();
        let port = server.port;
        let wrong = problem(connect(&format!("redis://:wrong@127.0.0.1:{port}/")).await);
        assert_eq!(
            wrong,
            ConnectProblem::AuthenticationFailed {
                server: "Redis",
                user: "default".into()
            }
        );
        let named = problem(connect(&format!("redis://ops:wrong@127.0.0.1:{port}/")).await);
        assert!(
            matches!(&named, ConnectProblem::AuthenticationFailed { user, .. } if user == "ops"),
            "{named:?}"
        );
        assert!(
            !Error::StoreConnect { problem: named }
                .to_string()
                .contains("wrong")
        );
        // No password at all: the server answers NOAUTH to the store's first command.
        let none = connect(&format!("redis://127.0.0.1:{port}/")).await;
        assert!(
            matches!(
                none,
                Err(Error::StoreConnect {
                    problem: ConnectProblem::AuthenticationFailed { .. }
                })
            ),
            "{none:?}"
        );
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_sqlite_file_that_cannot_be_opened_is_named() {
    use admit::store::{Init, SqliteStore};
    let path = std::env::temp_dir()
        .join(format!("admit-no-such-dir-{}", std::process::id()))
        .join("store.db");
    let opened = SqliteStore::builder()
        .init(Init::CreateIfMissing)
        .open(&path)
        .await;
    match problem(opened) {
        ConnectProblem::CannotOpen {
            server, path: p, ..
        } => {
            assert_eq!(server, "SQLite");
            assert_eq!(p, path.display().to_string());
        }
        other => panic!("{other:?}"),
    }
}
