//! What a webhook endpoint keeps in the store ([`Events::consumer`](crate::store::Events::consumer)):
//! how far it has delivered, who holds its lease, and whether it is failing.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Error;
use crate::store::{EventCursor, from_unix_ms};

/// The stored record, as JSON.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Record {
    /// The cursor of the last event delivered.
    #[serde(default)]
    pub(crate) after: Option<String>,
    /// The worker holding the lease, and until when (Unix ms).
    #[serde(default)]
    pub(crate) holder: Option<String>,
    #[serde(default)]
    pub(crate) lease_until_ms: i64,
    #[serde(default)]
    pub(crate) delivered: u64,
    /// Failed attempts in a row, and since when the endpoint counts as failing.
    #[serde(default)]
    pub(crate) failures: u32,
    #[serde(default)]
    pub(crate) failing_since_ms: Option<i64>,
    #[serde(default)]
    pub(crate) last_error: Option<String>,
    #[serde(default)]
    pub(crate) last_success_ms: Option<i64>,
}

impl Record {
    pub(crate) fn parse(text: &str) -> Result<Record, Error> {
        serde_json::from_str(text).map_err(|_| Error::StoreUnavailable {
            reason: "a webhook endpoint's record in the store is not what this version wrote"
                .into(),
        })
    }

    pub(crate) fn text(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(|_| Error::StoreUnavailable {
            reason: "a webhook endpoint's record could not be written".into(),
        })
    }

    pub(crate) fn cursor(&self) -> Result<Option<EventCursor>, Error> {
        self.after.as_deref().map(str::parse).transpose()
    }
}

/// Where a webhook endpoint stands: how far it has delivered, whether it is failing, who is
/// delivering. From [`WebhookSender::status`](super::WebhookSender::status) or
/// [`endpoint_status`](super::endpoint_status).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointStatus {
    /// The endpoint's name (its record's name in the store).
    pub name: String,
    /// The last event delivered (`None`: none yet).
    pub cursor: Option<EventCursor>,
    /// Events delivered so far.
    pub delivered: u64,
    /// Failed attempts in a row (0 after a success).
    pub failures: u32,
    /// Since when the endpoint counts as failing (it failed the sender's `max_attempts` in a
    /// row); `None` while it is healthy. The sender keeps retrying, with the longest backoff.
    pub failing_since: Option<OffsetDateTime>,
    /// What the last failure was (a status code, a timeout; never a secret or a body).
    pub last_error: Option<String>,
    /// When a delivery last succeeded.
    pub last_success: Option<OffsetDateTime>,
    /// The worker holding the lease while it is live.
    pub worker: Option<String>,
}

impl EndpointStatus {
    pub(crate) fn of(name: &str, record: &Record, now_ms: i64) -> Result<EndpointStatus, Error> {
        let time = |ms: Option<i64>| ms.and_then(from_unix_ms);
        Ok(EndpointStatus {
            name: name.to_owned(),
            cursor: record.cursor()?,
            delivered: record.delivered,
            failures: record.failures,
            failing_since: time(record.failing_since_ms),
            last_error: record.last_error.clone(),
            last_success: time(record.last_success_ms),
            worker: record
                .holder
                .clone()
                .filter(|_| record.lease_until_ms > now_ms),
        })
    }

    /// Whether the endpoint counts as failing.
    pub fn is_failing(&self) -> bool {
        self.failing_since.is_some()
    }
}
