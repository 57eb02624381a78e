//! Funnel numbers from the event log: of the invitations issued in a period, how many were
//! opened and how many used, in total and per inviter ([`Funnel`], [`Events::funnel`]).

use std::collections::{BTreeMap, HashMap};

use time::OffsetDateTime;

use super::events::EventType;
use super::{EventFilter, Events, check_inviter};
use crate::error::Error;
use crate::invitation::InvitationId;

/// Which invitations a [`Funnel`] follows: those issued (recorded with
/// [`record_issued`](super::Store::record_issued)) from `from` up to, not including, `to`,
/// optionally only one inviter's.
///
/// # Examples
///
/// ```
/// use admit::store::FunnelQuery;
/// use time::{Duration, OffsetDateTime};
///
/// let now = OffsetDateTime::now_utc();
/// let last_week = FunnelQuery::new(now - Duration::days(7), now)?.inviter("grace");
/// # let _ = last_week;
/// # Ok::<(), admit::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunnelQuery {
    from: OffsetDateTime,
    to: OffsetDateTime,
    inviter: Option<String>,
}

impl FunnelQuery {
    /// Invitations issued from `from` up to `to`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `to` is not after `from`.
    ///
    /// ```
    /// use time::OffsetDateTime;
    ///
    /// let now = OffsetDateTime::now_utc();
    /// assert!(admit::store::FunnelQuery::new(now, now).is_err());
    /// ```
    pub fn new(from: OffsetDateTime, to: OffsetDateTime) -> Result<FunnelQuery, Error> {
        if to <= from {
            return Err(Error::InvalidArgument {
                name: "funnel period",
                reason: "must end after it starts",
            });
        }
        Ok(FunnelQuery {
            from,
            to,
            inviter: None,
        })
    }

    /// Only the invitations of this inviter.
    ///
    /// ```
    /// # use time::{Duration, OffsetDateTime};
    /// # let now = OffsetDateTime::now_utc();
    /// let grace = admit::store::FunnelQuery::new(now - Duration::days(30), now)?.inviter("grace");
    /// # let _ = grace;
    /// # Ok::<(), admit::Error>(())
    /// ```
    pub fn inviter(mut self, inviter: impl Into<String>) -> FunnelQuery {
        self.inviter = Some(inviter.into());
        self
    }
}

/// Issued → opened → used for one inviter's invitations (or all of them), as
/// [`Events::funnel`] counts them.
///
/// The stages only shrink: an invitation counts as opened when its link was visited
/// ([`record_visit`](super::Visits::record_visit)) **or** redeemed, since redeeming it needs
/// the link too, even where the application records no visits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FunnelRow {
    /// The inviter (`None`: invitations without one; in [`Funnel::total`], everyone).
    pub inviter: Option<String>,
    /// Invitations issued in the period.
    pub issued: u64,
    /// Of those, how many were opened (visited or redeemed at least once).
    pub opened: u64,
    /// Of those, how many were redeemed at least once.
    pub redeemed: u64,
    /// How many joined through them: every redemption counts (a 10-use link may bring 10).
    pub joined: u64,
}

impl FunnelRow {
    /// `opened / issued`, from 0 to 1 (`None` when nothing was issued).
    ///
    /// ```
    /// let row = admit::store::FunnelRow::default();
    /// assert_eq!(row.open_rate(), None);
    /// ```
    pub fn open_rate(&self) -> Option<f64> {
        rate(self.opened, self.issued)
    }

    /// `redeemed / opened`, from 0 to 1 (`None` when nothing was opened).
    ///
    /// ```
    /// assert_eq!(admit::store::FunnelRow::default().redeem_rate(), None);
    /// ```
    pub fn redeem_rate(&self) -> Option<f64> {
        rate(self.redeemed, self.opened)
    }

    /// `redeemed / issued`: the conversion of the whole funnel, from 0 to 1 (`None` when
    /// nothing was issued).
    ///
    /// ```
    /// assert_eq!(admit::store::FunnelRow::default().conversion(), None);
    /// ```
    pub fn conversion(&self) -> Option<f64> {
        rate(self.redeemed, self.issued)
    }

    fn add(&mut self, seen: &Seen) {
        self.issued += 1;
        self.opened += u64::from(seen.opened);
        self.redeemed += u64::from(seen.joined > 0);
        self.joined += seen.joined;
    }
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    // Counts of invitations stay far below 2^52, where u64 to f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Funnel numbers for a period: the invitations issued in it, how many of them were opened
/// and how many redeemed until now, in total and per inviter (most issued first). From
/// [`Events::funnel`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Funnel {
    /// The start of the period.
    pub from: OffsetDateTime,
    /// Its end (not included).
    pub to: OffsetDateTime,
    /// Every inviter together.
    pub total: FunnelRow,
    /// One row per inviter with an invitation issued in the period, most issued first, then
    /// by name (`None`, invitations without an inviter, last among equals).
    pub inviters: Vec<FunnelRow>,
    /// How many events were read to count it.
    pub events_read: u64,
}

/// What the log says about one invitation.
#[derive(Default)]
struct Seen {
    /// Issued in the period, by this inviter.
    issued: Option<Option<String>>,
    opened: bool,
    joined: u64,
}

/// [`Events::funnel`]: reads the `issued`, `visited` and `redeemed` events written since the
/// period began, page by page, and counts.
pub(crate) async fn count<S: Events + ?Sized>(
    store: &S,
    query: &FunnelQuery,
) -> Result<Funnel, Error> {
    if let Some(inviter) = &query.inviter {
        check_inviter(inviter)?;
    }
    let mut filter = EventFilter::new()
        .types([EventType::Issued, EventType::Visited, EventType::Redeemed])
        .since(query.from)
        .limit(super::MAX_LIST_LIMIT);
    if let Some(inviter) = &query.inviter {
        filter = filter.inviter(inviter.as_str());
    }
    let mut seen: HashMap<InvitationId, Seen> = HashMap::new();
    let mut events_read = 0u64;
    loop {
        let page = store.events(&filter).await?;
        events_read += page.len() as u64;
        for event in &page {
            let Some(id) = event.invitation else { continue };
            match event.event_type() {
                EventType::Issued if (query.from..query.to).contains(&event.at) => {
                    let entry = seen.entry(id).or_default();
                    entry.issued.get_or_insert_with(|| event.inviter.clone());
                }
                EventType::Visited => seen.entry(id).or_default().opened = true,
                EventType::Redeemed => {
                    let entry = seen.entry(id).or_default();
                    entry.opened = true;
                    entry.joined += 1;
                }
                _ => {}
            }
        }
        match page.last() {
            Some(last) if page.len() == filter.limit => filter = filter.after(last.cursor),
            _ => break,
        }
    }
    let mut total = FunnelRow::default();
    let mut by_inviter: BTreeMap<Option<String>, FunnelRow> = BTreeMap::new();
    for entry in seen.values() {
        let Some(inviter) = &entry.issued else {
            continue;
        };
        total.add(entry);
        by_inviter
            .entry(inviter.clone())
            .or_insert_with(|| FunnelRow {
                inviter: inviter.clone(),
                ..FunnelRow::default()
            })
            .add(entry);
    }
    total.inviter = query.inviter.clone();
    let mut inviters: Vec<FunnelRow> = by_inviter.into_values().collect();
    inviters.sort_by(|a, b| {
        b.issued
            .cmp(&a.issued)
            .then_with(|| a.inviter.is_none().cmp(&b.inviter.is_none()))
            .then_with(|| a.inviter.cmp(&b.inviter))
    });
    Ok(Funnel {
        from: query.from,
        to: query.to,
        total,
        inviters,
        events_read,
    })
}

#[cfg(test)]
mod tests {
    use super::{FunnelRow, rate};

    #[test]
    fn rates_divide_and_refuse_an_empty_whole() {
        let row = FunnelRow {
            inviter: None,
            issued: 8,
            opened: 4,
            redeemed: 1,
            joined: 3,
        };
        assert_eq!(row.open_rate(), Some(0.5));
        assert_eq!(row.redeem_rate(), Some(0.25));
        assert_eq!(row.conversion(), Some(0.125));
        assert_eq!(rate(0, 0), None);
    }
}
