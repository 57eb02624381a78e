//! What the stores tell `tracing` (feature `tracing`): a span per store call, an event when it
//! ends, and events when a store's connection is lost and comes back.
//!
//! Every call runs in a span named `store` (target `admit::store`, level DEBUG) with the fields
//! `backend` (`memory`, `redis`, `postgres`, `sqlite`), `op` (the [`Store`](super::Store)
//! method: `redeem`, `check`, `revoke`, …), and, once it ends, `outcome` (`ok` or the error's
//! [`code`](crate::Error::code)) and `latency_us`. An event ends the call: at DEBUG, inside the
//! span, when the store answered (yes or no); at WARN, with the span's fields on the event
//! itself, when it could not (`store_unavailable`, `store_timeout`, `store_misconfigured`,
//! `store_not_initialized`), so a subscriber at WARN sees every failure with its backend and
//! operation although the span is below its level.
//!
//! Nothing secret is ever recorded: no token, no email, no joiner, no short code, no key, no
//! URL (it may hold a password). An invitation's ID is not recorded either; applications that
//! want it in their logs add it to their own span around the call.
//!
//! Without the feature every function here is the work itself, with no cost.

use core::future::Future;

use crate::error::Error;

#[cfg(feature = "tracing")]
pub(crate) use on::{Link, call};

#[cfg(not(feature = "tracing"))]
#[cfg_attr(
    not(any(feature = "redis", feature = "postgres", feature = "sqlite")),
    allow(unused_imports)
)]
pub(crate) use off::{Link, call};

/// Whether `error` means the store could not answer (rather than answering "no").
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
fn is_failure(error: &Error) -> bool {
    error.kind() == crate::error::ErrorKind::StoreFailure
}

/// Whether `error` means the store could not be reached at all (a lost connection, a timeout),
/// as opposed to a reply.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
fn is_unreachable(error: &Error) -> bool {
    matches!(
        error,
        Error::StoreUnavailable { .. } | Error::StoreConnect { .. } | Error::StoreTimeout { .. }
    )
}

#[cfg(feature = "tracing")]
mod on {
    use core::future::Future;
    use std::sync::Mutex;
    use std::time::Instant;

    use tracing::Instrument;
    use tracing::field::Empty;

    use super::{is_failure, is_unreachable};
    use crate::error::Error;

    /// Runs one store call in a `store` span and reports how it ended.
    pub(crate) async fn call<T>(
        backend: &'static str,
        op: &'static str,
        link: Option<&Link>,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let span = tracing::debug_span!(
            target: "admit::store",
            "store",
            backend,
            op,
            outcome = Empty,
            latency_us = Empty
        );
        let started = Instant::now();
        let result = work.instrument(span.clone()).await;
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.code(),
        };
        span.record("outcome", outcome);
        span.record("latency_us", latency_us);
        let _entered = span.enter();
        match &result {
            Err(e) if is_failure(e) => tracing::warn!(
                target: "admit::store",
                backend,
                op,
                outcome,
                latency_us,
                error = %e,
                "store call failed"
            ),
            // The span (same level, same target) carries the fields.
            _ => tracing::debug!(target: "admit::store", "store call"),
        }
        if let Some(link) = link {
            link.saw(backend, result.as_ref().err());
        }
        result
    }

    /// Whether a networked store's connection is up, as its calls have seen it: the first call
    /// that cannot reach the store reports the connection lost (WARN), the first that gets an
    /// answer after that reports it back (INFO) with how long it was down.
    #[derive(Debug, Default)]
    pub(crate) struct Link {
        /// When the connection was first seen lost; `None` while it is up.
        lost_at: Mutex<Option<Instant>>,
    }

    impl Link {
        fn saw(&self, backend: &'static str, error: Option<&Error>) {
            let Ok(mut lost_at) = self.lost_at.lock() else {
                return;
            };
            match (error, *lost_at) {
                (Some(e), None) if is_unreachable(e) => {
                    *lost_at = Some(Instant::now());
                    tracing::warn!(
                        target: "admit::store",
                        backend,
                        error = %e,
                        "lost the connection to the store; calls fail until it is back"
                    );
                }
                (Some(e), Some(_)) if is_unreachable(e) => {}
                (_, Some(since)) => {
                    *lost_at = None;
                    let down_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
                    tracing::info!(
                        target: "admit::store",
                        backend,
                        down_ms,
                        "reconnected to the store"
                    );
                }
                (_, None) => {}
            }
        }
    }
}

#[cfg(not(feature = "tracing"))]
mod off {
    use core::future::Future;

    use crate::error::Error;

    /// Without `tracing`: the work itself.
    #[inline(always)]
    pub(crate) fn call<T, F: Future<Output = Result<T, Error>>>(
        _backend: &'static str,
        _op: &'static str,
        _link: Option<&Link>,
        work: F,
    ) -> F {
        work
    }

    /// Without `tracing`: nothing to track.
    #[derive(Debug, Default)]
    pub(crate) struct Link {}
}

/// Reports a refused configuration (WARN): a store that [`connect`](super::AnyStore::connect)
/// or a background re-check turned down, with the reason. Called where the refusal is made.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
#[cfg_attr(
    not(any(feature = "redis", feature = "postgres", feature = "sqlite")),
    allow(dead_code)
)]
pub(crate) fn refused(backend: &'static str, error: &Error) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "admit::store",
        backend,
        outcome = error.code(),
        error = %error,
        "store configuration refused"
    );
}

/// Reports that a refused configuration is safe again (INFO).
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn accepted_again(backend: &'static str) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "admit::store",
        backend,
        "store configuration is safe again; calls go through"
    );
}

/// Runs a connect (`op` `connect`, `migrate`, `init`) in a span like a call's; a refused
/// configuration, and a store that lost data, are also reported by [`refused`].
#[cfg_attr(
    not(any(feature = "redis", feature = "postgres", feature = "sqlite")),
    allow(dead_code)
)]
pub(crate) async fn connecting<T>(
    backend: &'static str,
    op: &'static str,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let result = call(backend, op, None, work).await;
    if let Err(e @ (Error::StoreMisconfigured { .. } | Error::StoreDataLost { .. })) = &result {
        refused(backend, e);
    }
    result
}
