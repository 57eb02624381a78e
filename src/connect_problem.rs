//! Why a store's server could not be reached or refused the connection, named so that a person
//! can fix it: [`ConnectProblem`], the cause in [`Error::StoreConnect`](crate::Error::StoreConnect).

use core::fmt;

/// Why a store could not connect to its server, for [`Error::StoreConnect`](crate::Error::StoreConnect).
/// Every variant names the server (`PostgreSQL`, `Redis`, `SQLite`) and what to check; none
/// holds a password or a whole URL.
///
/// # Examples
///
/// ```
/// use admit::{ConnectProblem, Error};
///
/// let e = Error::StoreConnect {
///     problem: ConnectProblem::AuthenticationFailed { server: "PostgreSQL", user: "app".into() },
/// };
/// assert_eq!(
///     e.to_string(),
///     "cannot connect to the store: PostgreSQL refused the password of user \"app\": check the \
///      user and password in the store URL"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectProblem {
    /// The server refused the credentials of this user (PostgreSQL 28P01 or 28000, Redis
    /// `WRONGPASS` or `NOAUTH`).
    AuthenticationFailed {
        /// `PostgreSQL` or `Redis`.
        server: &'static str,
        /// The user the store connected as.
        user: String,
    },
    /// Nothing accepts connections at this address: the server is down, or listens elsewhere.
    ConnectionRefused {
        /// `PostgreSQL` or `Redis`.
        server: &'static str,
        /// `host:port`.
        address: String,
    },
    /// The host name does not resolve.
    HostNotFound {
        /// `PostgreSQL` or `Redis`.
        server: &'static str,
        /// The host name.
        host: String,
    },
    /// The address could not be reached (no route, timed out, network down).
    Unreachable {
        /// `PostgreSQL` or `Redis`.
        server: &'static str,
        /// `host:port`.
        address: String,
        /// What the operating system said.
        detail: String,
    },
    /// The TLS handshake failed (the server does not offer TLS, or its certificate was refused).
    Tls {
        /// `PostgreSQL` or `Redis`.
        server: &'static str,
        /// What failed.
        detail: String,
    },
    /// The server has no database of this name (PostgreSQL 3D000).
    NoSuchDatabase {
        /// `PostgreSQL`.
        server: &'static str,
        /// The database name.
        name: String,
    },
    /// The database file cannot be opened (a missing directory, no permission).
    CannotOpen {
        /// `SQLite`.
        server: &'static str,
        /// The file.
        path: String,
        /// What failed.
        detail: String,
    },
}

impl fmt::Display for ConnectProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectProblem::AuthenticationFailed { server, user } => write!(
                f,
                "{server} refused the password of user {user:?}: check the user and password in \
                 the store URL"
            ),
            ConnectProblem::ConnectionRefused { server, address } => write!(
                f,
                "nothing accepts connections at {address}: is {server} running, and on that port?"
            ),
            ConnectProblem::HostNotFound { server, host } => write!(
                f,
                "the {server} host {host:?} was not found: check the host name in the store URL"
            ),
            ConnectProblem::Unreachable {
                server,
                address,
                detail,
            } => write!(
                f,
                "the {server} server at {address} cannot be reached ({detail}): check the \
                 network and the firewall"
            ),
            ConnectProblem::Tls { server, detail } => write!(
                f,
                "the TLS handshake with {server} failed ({detail}): check that the server offers \
                 TLS and that its certificate is trusted, or the sslmode / rediss:// setting"
            ),
            ConnectProblem::NoSuchDatabase { server, name } => write!(
                f,
                "{server} has no database {name:?}: create it (createdb {name}) or fix its name \
                 in the store URL"
            ),
            ConnectProblem::CannotOpen {
                server,
                path,
                detail,
            } => write!(
                f,
                "cannot open the {server} file {path} ({detail}): check that its directory \
                 exists and that this user may write there"
            ),
        }
    }
}

/// At most `max` bytes of `text`, cut at a character boundary: details from servers and TLS
/// libraries can be long.
#[cfg_attr(
    not(any(feature = "postgres", feature = "sqlite", feature = "redis")),
    allow(dead_code)
)]
pub(crate) fn short(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Whether an error's text is a failed host name lookup: tokio reports one as an I/O error of
/// kind `Other`, with the resolver's words (glibc, BSD and macOS, Windows).
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
pub(crate) fn is_lookup_failure(text: &str) -> bool {
    [
        "lookup address",
        "Name or service not known",
        "nodename nor servname",
        "No such host",
    ]
    .iter()
    .any(|t| text.contains(t))
}
