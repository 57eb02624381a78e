//! What opening a store does when it finds no store there: refuse, create one, or recover.
//!
//! A store that lost its data (a Redis restarted empty or flushed, a SQLite file deleted, a
//! database restored without its tables) looks exactly like a new one. Only the application or
//! an operator knows which it is, so every store refuses by default and sets itself up only when
//! told to, the same way on every backend.

use time::OffsetDateTime;

/// What opening a store does when it finds no store there
/// ([`StoreBuilder::init`](super::StoreBuilder::init), the same on Redis, PostgreSQL, SQLite and
/// [`AnyStore`](super::AnyStore)).
///
/// | | Redis | PostgreSQL | SQLite |
/// |---|---|---|---|
/// | no store found | no initialization marker | tables not migrated | no file, or tables not migrated |
/// | [`Require`](Init::Require) | refuse to connect ([`Error::StoreNotInitialized`](crate::Error::StoreNotInitialized)) | every call fails with `StoreNotInitialized` | missing file: refuse to open; no tables: every call fails |
/// | [`CreateIfMissing`](Init::CreateIfMissing) | write the marker | `migrate()` | create the file, `migrate()` |
/// | [`RecoverFromDataLoss`](Init::RecoverFromDataLoss) | the marker, and a rule revoking what was issued before the cut-off, in one step | `migrate()`, then the rule | the file, `migrate()`, then the rule |
///
/// # Examples
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use admit::store::{AnyStore, Init};
///
/// // First deployment (or `admit store init` once): set the store up.
/// let store = AnyStore::builder().init(Init::CreateIfMissing).connect("memory:").await?;
/// # let _ = store;
/// # Ok::<(), admit::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Init {
    /// Refuse a store that is not set up ([`Error::StoreNotInitialized`](crate::Error::StoreNotInitialized)):
    /// the default, and the right setting in production once the store was set up.
    #[default]
    Require,
    /// Set the store up where it is missing: for a brand-new server or file (first deployment,
    /// tests, development). A store that lost its data is then taken for a new one, so revoked
    /// and used-up invitations work again: choose this knowingly.
    CreateIfMissing,
    /// After data loss: set the store up where it is missing and revoke every invitation issued
    /// before the cut-off, so nothing the lost data used to refuse can come back. Re-send the
    /// invitations that should still work.
    RecoverFromDataLoss {
        /// Usually the time the data was lost, or now.
        revoke_issued_before: OffsetDateTime,
    },
}
