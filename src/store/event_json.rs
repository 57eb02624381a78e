//! The JSON form of an [`Event`]: what `admit events --format json` prints and what a webhook
//! delivers, one shape for both (documented in `docs/events.md`).
//!
//! ```json
//! {"type":"redeemed","cursor":"1765101000000-0","timestamp":"2026-12-07T10:30:00.123Z",
//!  "invitation":"2ae028bca04bc6d53472232b","inviter":"grace","actor":null,
//!  "data":{"joiner":"user-42","uses":1,"max_uses":5}}
//! ```

use serde::ser::{Serialize, SerializeMap, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Event, EventKind};

/// A time as RFC 3339, or as Unix seconds if it cannot be written so (years past 9999).
fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// The fields of a kind, as the `data` object.
struct Data<'a>(&'a EventKind);

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        match self.0 {
            EventKind::Issued {
                expires_at,
                max_uses,
                email,
                description,
            } => {
                map.serialize_entry("expires_at", &expires_at.map(rfc3339))?;
                map.serialize_entry("max_uses", max_uses)?;
                map.serialize_entry("email", email)?;
                map.serialize_entry("description", description)?;
            }
            EventKind::Visited { metadata } => map.serialize_entry("metadata", metadata)?,
            EventKind::Redeemed {
                joiner,
                uses,
                max_uses,
            } => {
                map.serialize_entry("joiner", joiner)?;
                map.serialize_entry("uses", uses)?;
                map.serialize_entry("max_uses", max_uses)?;
            }
            EventKind::Exhausted { max_uses } => map.serialize_entry("max_uses", max_uses)?,
            EventKind::RuleAdded { cutoff } => {
                map.serialize_entry("cutoff", &rfc3339(*cutoff))?;
            }
            EventKind::Revoked | EventKind::CodeCreated => {}
        }
        map.end()
    }
}

/// `{"type", "cursor", "timestamp", "invitation", "inviter", "actor", "data"}`.
///
/// ```
/// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
/// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
/// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
/// use admit::store::{EventFilter, Events};
///
/// let invitation = issuer.mint(Invitation::builder().one_time())?.invitation().clone();
/// store.redeem(&invitation, "user-42").await?;
/// let event = &store.events(&EventFilter::new()).await?[0];
/// let json = serde_json::to_value(event).expect("serializable");
/// assert_eq!(json["type"], "redeemed");
/// assert_eq!(json["data"]["joiner"], "user-42");
/// assert_eq!(json["invitation"], invitation.id().to_string());
/// # Ok::<(), admit::Error>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(7))?;
        map.serialize_entry("type", self.event_type().as_str())?;
        map.serialize_entry("cursor", &self.cursor.to_string())?;
        map.serialize_entry("timestamp", &rfc3339(self.at))?;
        map.serialize_entry("invitation", &self.invitation.map(|id| id.to_string()))?;
        map.serialize_entry("inviter", &self.inviter)?;
        map.serialize_entry("actor", &self.actor)?;
        map.serialize_entry("data", &Data(&self.kind))?;
        map.end()
    }
}
