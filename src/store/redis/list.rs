//! [`Store::list`](super::Store::list) on Redis: pages of a registry index (a sorted set
//! scored by expiry), then each invitation's state.

use redis::Value;
use time::OffsetDateTime;

use super::conn::{self, Call, bad_reply, each, within};
use super::{RedisStore, State, marker};
use crate::error::Error;
use crate::invitation::InvitationId;
use crate::store::{IssuedInvitation, ListFilter, ListOrder, unix_ms};

/// The fields `list` reads of each state hash, in this order.
const LISTED: [&str; 9] = [
    "reg", "iat", "exp", "max", "inv", "email", "desc", "n", "rev",
];

/// A place in an index: a score (`inf` for never) and an ID.
type Place = (String, String);

impl RedisStore {
    /// Up to `filter.limit` invitations. An index entry can outlive its state by a little
    /// (state expires on Redis's clock); such entries are skipped and the page is filled
    /// from further on, so a short page still means the end.
    pub(super) async fn list_pages(
        &self,
        filter: &ListFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<IssuedInvitation>, Error> {
        // Expired entries are kept in the index as long as their state: the margin.
        let above = if filter.expired {
            now.saturating_sub(self.settings.margin)
        } else {
            now
        };
        let newest = filter.order == ListOrder::Newest;
        let mut place: Option<Place> = filter.after.map(|c| {
            let score = if newest {
                // Validated: a newest-first cursor holds the issue second.
                c.issued_s().unwrap_or(0).saturating_mul(1000).to_string()
            } else {
                c.expires_s()
                    .map_or_else(|| "inf".to_owned(), |s| s.saturating_mul(1000).to_string())
            };
            (score, c.id().to_string())
        });
        let mut out = Vec::with_capacity(filter.limit);
        loop {
            // A search passes over what does not match, and the newest-first index holds what
            // expired within the margin: read the index a full page at a time.
            let wanted = if filter.search.is_some() || newest {
                crate::store::MAX_LIST_LIMIT
            } else {
                filter.limit - out.len()
            };
            let (page, last) = self
                .list_page(filter, unix_ms(above), wanted, place.take())
                .await?;
            out.extend(page);
            if out.len() >= filter.limit {
                // The next page starts after the last one returned, wherever the index was.
                out.truncate(filter.limit);
                return Ok(out);
            }
            match last {
                Some(last) => place = Some(last),
                None => return Ok(out),
            }
        }
    }

    /// One script call and one round of reads: the invitations whose state is there, and the
    /// place of the last index entry when the index gave all `wanted` (there may be more).
    async fn list_page(
        &self,
        filter: &ListFilter,
        above_ms: i64,
        wanted: usize,
        after: Option<Place>,
    ) -> Result<(Vec<IssuedInvitation>, Option<Place>), Error> {
        let newest = filter.order == ListOrder::Newest;
        let index = if newest {
            self.keys.newest(filter.inviter.as_deref())
        } else {
            self.keys.index(filter.inviter.as_deref())
        };
        let control = self.keys.control_near(&index);
        let (score, id) = after.unwrap_or_default();
        let call = if newest {
            Call::new(&self.scripts.list_newest, [&control, &index])
        } else {
            Call::new(&self.scripts.list, [&control, &index]).arg(above_ms)
        };
        let call = call.arg(wanted).arg(score).arg(id);
        let (flat, control): (Vec<String>, Value) = self.call_as(call).await?;
        let (_, merged) = marker::parse_control(control)?;
        let entries: Vec<Place> = flat
            .chunks(2)
            .map(|pair| match pair {
                [id, score] => Ok((score.clone(), id.clone())),
                _ => Err(bad_reply()),
            })
            .collect::<Result<_, Error>>()?;
        let last = (entries.len() == wanted)
            .then(|| entries.last().cloned())
            .flatten();
        let ids = entries
            .iter()
            .map(|(_, id)| id.parse::<InvitationId>().map_err(|_| bad_reply()))
            .collect::<Result<Vec<_>, Error>>()?;
        let cmds = ids
            .iter()
            .map(|id| {
                let mut cmd = redis::cmd("HMGET");
                cmd.arg(self.keys.state(*id)).arg(&LISTED[..]);
                cmd
            })
            .collect();
        let states = within(self.settings.deadline, each(&self.conn, cmds)).await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id, values) in ids.into_iter().zip(states) {
            let values: Vec<Option<String>> =
                redis::from_redis_value(values.map_err(conn::unavailable)?)
                    .map_err(|_| bad_reply())?;
            let state = State::from_pairs(
                LISTED
                    .iter()
                    .zip(values)
                    .filter_map(|(name, value)| Some(((*name).to_owned(), value?))),
            );
            let of_inviter = state
                .text("inv")
                .and_then(|i| merged.get(&format!("i:{i}")))
                .copied();
            let rule = state.rule(merged.get("*").copied(), of_inviter)?;
            // State can expire before its index entry is dropped: skip it.
            // A search compares as it reads: what does not match is passed over, and the next
            // page of the index is read until the page is full or the index ends.
            // The newest-first index holds what expired within the margin: only the expired
            // filter shows those.
            let live = |i: &IssuedInvitation| {
                !newest
                    || filter.expired
                    || i.expires_at
                        .is_none_or(|t| t.unix_timestamp() * 1000 > above_ms)
            };
            if let Some(issued) = state.issued(id, rule)?
                && live(&issued)
                && filter.matches(issued.email.as_deref(), issued.inviter.as_deref())
            {
                out.push(issued);
            }
        }
        Ok((out, last))
    }

    /// How many `list` holds for `filter` over all its pages: the index's count above now (or
    /// above now less the margin, with expired ones), or, for a search, every page read and
    /// counted.
    pub(super) async fn count_listed(
        &self,
        filter: &ListFilter,
        now: OffsetDateTime,
    ) -> Result<u64, Error> {
        if filter.search.is_some() {
            let mut page = ListFilter {
                after: None,
                limit: crate::store::MAX_LIST_LIMIT,
                ..filter.clone()
            };
            let mut n = 0u64;
            loop {
                let got = self.list_pages(&page, now).await?;
                n += got.len() as u64;
                match got.last() {
                    Some(last) if got.len() == page.limit => page = page.after(last.cursor()),
                    _ => return Ok(n),
                }
            }
        }
        let above = if filter.expired {
            now.saturating_sub(self.settings.margin)
        } else {
            now
        };
        let mut cmd = redis::cmd("ZCOUNT");
        cmd.arg(self.keys.index(filter.inviter.as_deref()))
            .arg(format!("({}", unix_ms(above)))
            .arg("+inf");
        let replies = within(self.settings.deadline, each(&self.conn, vec![cmd])).await?;
        let reply = replies
            .into_iter()
            .next()
            .ok_or_else(bad_reply)?
            .map_err(conn::unavailable)?;
        redis::from_redis_value::<u64>(reply).map_err(|_| bad_reply())
    }
}
