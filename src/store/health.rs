//! What a store's backing server is configured to keep, and whether that is enough for the
//! store's two promises: a revoked invitation stays revoked; an N-use invitation admits at
//! most N.

use core::fmt;

/// How far a setting supports the store's promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// Nothing to do.
    Ok,
    /// The promises hold, with a cost or a window worth knowing (a failover that can lose the
    /// last writes, a restart that needs an operator).
    Warning,
    /// The promises can break silently with this setting (eviction, an old snapshot reloaded).
    Unsafe,
}

impl Verdict {
    /// `ok`, `warning` or `unsafe`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warning => "warning",
            Verdict::Unsafe => "unsafe",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so widths and alignment (`{:<8}`) work.
        f.pad(self.as_str())
    }
}

/// One line of a [`Health`] report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthCheck {
    /// What was checked: `eviction`, `persistence`, `replication`, `clock`, `initialized`, …
    pub name: &'static str,
    /// The server it was read from (`host:port`), where there are several.
    pub node: Option<String>,
    /// What was found, in words (`maxmemory 0 (no limit), maxmemory-policy noeviction`).
    pub found: String,
    /// How far it supports the promises.
    pub verdict: Verdict,
    /// What it means and, unless the verdict is [`Verdict::Ok`], what to do.
    pub advice: String,
}

impl HealthCheck {
    pub(crate) fn new(
        name: &'static str,
        node: Option<&str>,
        found: impl Into<String>,
        verdict: Verdict,
        advice: impl Into<String>,
    ) -> HealthCheck {
        HealthCheck {
            name,
            node: node.map(str::to_owned),
            found: found.into(),
            verdict,
            advice: advice.into(),
        }
    }
}

/// A store's health report ([`Store::health`](super::Store::health)): each setting its
/// guarantees depend on, with a plain verdict.
///
/// # Examples
///
/// ```
/// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// # runtime.block_on(async {
/// use admit::store::{MemoryStore, Store, Verdict};
///
/// let health = MemoryStore::new().health().await?;
/// for check in &health.checks {
///     println!("{:<12} {:<8} {} — {}", check.name, check.verdict, check.found, check.advice);
/// }
/// // In-process memory is gone when the process exits: a warning, not a silent failure.
/// assert_eq!(health.verdict(), Verdict::Warning);
/// # Ok::<(), admit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Health {
    /// `memory`, `redis` or `redis-cluster`.
    pub backend: &'static str,
    /// The checks, in a fixed order (per node on a cluster).
    pub checks: Vec<HealthCheck>,
}

impl Health {
    /// The worst verdict of all checks ([`Verdict::Ok`] when there are none).
    pub fn verdict(&self) -> Verdict {
        self.checks
            .iter()
            .map(|c| c.verdict)
            .max()
            .unwrap_or(Verdict::Ok)
    }

    /// The checks whose verdict is not [`Verdict::Ok`].
    pub fn problems(&self) -> impl Iterator<Item = &HealthCheck> {
        self.checks.iter().filter(|c| c.verdict != Verdict::Ok)
    }
}
