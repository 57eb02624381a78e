//! The SQL of every [`SqliteStore`](super::SqliteStore) call, with the table prefix filled in
//! once, when the store is built. Times are Unix milliseconds; `$now` is always the store's
//! clock. (PostgreSQL's dialect differs in enough places — `GREATEST`, casts, row locks,
//! `ctid` — that each store keeps its own statements.)

/// Every statement a [`SqliteStore`](super::SqliteStore) runs.
#[derive(Clone, Debug)]
pub(crate) struct Queries {
    pub(crate) meta_exists: String,
    pub(crate) initialized: String,
    pub(crate) probe: String,
    pub(crate) count_new: String,
    pub(crate) rules_for: String,
    pub(crate) row: String,
    pub(crate) live_row: String,
    pub(crate) drop_joiners: String,
    pub(crate) drop_visits: String,
    pub(crate) drop_row: String,
    pub(crate) touch: String,
    pub(crate) set_max: String,
    pub(crate) see: String,
    pub(crate) revoke_new: String,
    pub(crate) revoke_existing: String,
    pub(crate) raise_rule: String,
    pub(crate) all_rules: String,
    pub(crate) joiners: String,
    pub(crate) record: String,
    pub(crate) list: String,
    pub(crate) visit: String,
    pub(crate) trim_visits: String,
    pub(crate) visits: String,
    pub(crate) code_free: String,
    pub(crate) code_insert: String,
    pub(crate) code_get: String,
    pub(crate) attempt: String,
    pub(crate) purge: [String; 5],
}

impl Queries {
    pub(crate) fn new(p: &str) -> Queries {
        let live = "(forget_at IS NULL OR forget_at > $2)";
        // At most $2 expired invitations, the same ones in each of the three statements.
        let expired_ids = format!(
            "SELECT id FROM {p}invitations WHERE forget_at IS NOT NULL AND forget_at <= $1 \
             ORDER BY forget_at, id LIMIT $2"
        );
        Queries {
            meta_exists: format!(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' \
                 AND name = '{p}meta')"
            ),
            initialized: format!("SELECT EXISTS (SELECT 1 FROM {p}meta WHERE name = 'init')"),
            // Everything a redemption decides on, in one statement: initialized, covered by a
            // rule, and the row's uses, revoked and expired, and this joiner's earlier
            // redemption ($1 id, $2 now, $3 issue second, $4 inviter, $5 joiner).
            probe: format!(
                "SELECT EXISTS (SELECT 1 FROM {p}meta WHERE name = 'init'), \
                 EXISTS (SELECT 1 FROM {p}rules \
                   WHERE (scope = '*' OR scope = 'i:' || $4) AND $3 * 1000 < cutoff_ms), \
                 i.uses, i.revoked_at IS NOT NULL, \
                 COALESCE(i.forget_at, 9223372036854775807) <= $2, \
                 (SELECT joined_at FROM {p}joiners WHERE id = $1 AND joiner = $5) \
                 FROM (SELECT 1) LEFT JOIN {p}invitations i ON i.id = $1"
            ),
            // A counted redemption, in one round trip: the row (if new), the joiner, the count
            // ($1 id, $2 joiner, $3 now, $4 forget-at, $5 limit, $6 issue second, $7 inviter).
            count_new: format!(
                "INSERT INTO {p}invitations (id, forget_at) VALUES ($1, $4) \
                   ON CONFLICT (id) DO NOTHING; \
                 INSERT INTO {p}joiners (id, joiner, joined_at) VALUES ($1, $2, $3); \
                 UPDATE {p}invitations SET uses = uses + 1, max_uses = COALESCE($5, max_uses), \
                   forget_at = CASE WHEN forget_at IS NULL OR $4 IS NULL THEN NULL \
                                    ELSE MAX(forget_at, $4) END, \
                   issued_s = CASE WHEN seen THEN issued_s ELSE $6 END, \
                   inviter = CASE WHEN seen THEN inviter ELSE $7 END, \
                   seen = 1 \
                 WHERE id = $1"
            ),
            // $1 issue second, $2 inviter (NULL: none): every rule covering it, everyone first.
            rules_for: format!(
                "SELECT scope, cutoff_ms FROM {p}rules \
                 WHERE (scope = '*' OR scope = 'i:' || $2) AND $1 * 1000 < cutoff_ms \
                 ORDER BY scope = '*' DESC"
            ),
            // The row, live or not: uses, revoked, past its forget-at time.
            row: format!(
                "SELECT uses, revoked_at IS NOT NULL, \
                 COALESCE(forget_at, 9223372036854775807) <= $2 \
                 FROM {p}invitations WHERE id = $1"
            ),
            live_row: format!(
                "SELECT uses, max_uses, revoked_at, seen, issued_s, inviter, recorded, \
                 rec_issued_s, rec_expires_s, rec_email, rec_max_uses, rec_inviter, \
                 rec_description FROM {p}invitations WHERE id = $1 AND {live}"
            ),
            drop_joiners: format!("DELETE FROM {p}joiners WHERE id = $1"),
            drop_visits: format!("DELETE FROM {p}visits WHERE id = $1"),
            drop_row: format!("DELETE FROM {p}invitations WHERE id = $1"),
            // Created, or its forget_at lengthened (NULL wins: forever).
            touch: format!(
                "INSERT INTO {p}invitations (id, forget_at) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET forget_at = CASE \
                   WHEN forget_at IS NULL OR excluded.forget_at IS NULL THEN NULL \
                   ELSE MAX(forget_at, excluded.forget_at) END"
            ),
            set_max: format!("UPDATE {p}invitations SET max_uses = $2 WHERE id = $1"),
            see: format!(
                "UPDATE {p}invitations SET issued_s = $2, inviter = $3, seen = 1 \
                 WHERE id = $1 AND NOT seen"
            ),
            revoke_new: format!(
                "INSERT INTO {p}invitations (id, forget_at, revoked_at) VALUES ($1, $3, $2)"
            ),
            // Revoked (the first time only), kept at least until $3.
            revoke_existing: format!(
                "UPDATE {p}invitations SET revoked_at = COALESCE(revoked_at, $2), \
                   forget_at = CASE WHEN forget_at IS NULL OR $3 IS NULL THEN forget_at \
                                    ELSE MAX(forget_at, $3) END \
                 WHERE id = $1"
            ),
            raise_rule: format!(
                "INSERT INTO {p}rules (scope, cutoff_ms) VALUES ($1, $2) \
                 ON CONFLICT (scope) DO UPDATE SET cutoff_ms = MAX(cutoff_ms, excluded.cutoff_ms) \
                 RETURNING cutoff_ms"
            ),
            all_rules: format!("SELECT scope, cutoff_ms FROM {p}rules ORDER BY scope"),
            joiners: format!(
                "SELECT joiner, joined_at FROM {p}joiners WHERE id = $1 \
                 ORDER BY joined_at, joiner"
            ),
            record: format!(
                "UPDATE {p}invitations SET recorded = 1, rec_issued_s = $2, \
                 rec_expires_s = $3, rec_email = $4, rec_max_uses = $5, rec_inviter = $6, \
                 rec_description = $7 WHERE id = $1"
            ),
            // $1 now (ms), $2 now (s), $3 inviter or NULL, $4 limit.
            // $5 expired too, $6 after a cursor: expiry $7 (NULL: never), ID $8.
            list: format!(
                "SELECT id, uses, revoked_at, issued_s, inviter, seen, rec_issued_s, \
                 rec_expires_s, rec_email, rec_max_uses, rec_inviter, rec_description \
                 FROM {p}invitations \
                 WHERE recorded AND (forget_at IS NULL OR forget_at > $1) \
                   AND ($5 OR rec_expires_s IS NULL OR rec_expires_s > $2) \
                   AND ($3 IS NULL OR rec_inviter = $3) \
                   AND (NOT $6 OR CASE WHEN $7 IS NULL \
                     THEN rec_expires_s IS NULL AND id > $8 \
                     ELSE rec_expires_s IS NULL OR rec_expires_s > $7 \
                       OR (rec_expires_s = $7 AND id > $8) END) \
                 ORDER BY rec_expires_s ASC NULLS LAST, id LIMIT $4"
            ),
            visit: format!("INSERT INTO {p}visits (id, at_ms, metadata) VALUES ($1, $2, $3)"),
            trim_visits: format!(
                "DELETE FROM {p}visits WHERE id = $1 AND seq NOT IN \
                 (SELECT seq FROM {p}visits WHERE id = $1 ORDER BY seq DESC LIMIT $2)"
            ),
            visits: format!(
                "SELECT v.at_ms, v.metadata FROM {p}visits v JOIN {p}invitations i ON i.id = v.id \
                 WHERE v.id = $1 AND (i.forget_at IS NULL OR i.forget_at > $2) \
                 ORDER BY v.seq DESC"
            ),
            code_free: format!(
                "DELETE FROM {p}codes WHERE code = $1 \
                 AND COALESCE(forget_at, 9223372036854775807) <= $2"
            ),
            code_insert: format!(
                "INSERT INTO {p}codes (code, token, forget_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (code) DO NOTHING"
            ),
            code_get: format!("SELECT token FROM {p}codes WHERE code = $1 AND {live}"),
            // $1 client, $2 window (ms), $3 window number, $4 window end (ms).
            attempt: format!(
                "INSERT INTO {p}attempts (client, window_ms, window_no, count, ends_at) \
                 VALUES ($1, $2, $3, 1, $4) \
                 ON CONFLICT (client, window_ms, window_no) DO UPDATE SET count = count + 1 \
                 RETURNING count"
            ),
            // Bounded deletes ($1 now, $2 batch), each found through an index.
            purge: [
                format!("DELETE FROM {p}joiners WHERE id IN ({expired_ids})"),
                format!("DELETE FROM {p}visits WHERE id IN ({expired_ids})"),
                format!("DELETE FROM {p}invitations WHERE id IN ({expired_ids})"),
                format!(
                    "DELETE FROM {p}codes WHERE code IN (SELECT code FROM {p}codes \
                     WHERE forget_at IS NOT NULL AND forget_at <= $1 LIMIT $2)"
                ),
                format!(
                    "DELETE FROM {p}attempts WHERE rowid IN (SELECT rowid FROM {p}attempts \
                     WHERE ends_at <= $1 LIMIT $2)"
                ),
            ],
        }
    }
}
