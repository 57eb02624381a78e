//! The SQL of every store call, with the table prefix filled in once, when the store is built.
//! Times are Unix milliseconds; `$now` is always the store's clock.

/// Every statement a [`PgStore`](super::PgStore) runs.
#[derive(Clone, Debug)]
pub(crate) struct Queries {
    pub(crate) initialized: String,
    pub(crate) meta_exists: String,
    pub(crate) redeem: String,
    pub(crate) check: String,
    pub(crate) rules_for: String,
    pub(crate) live_row: String,
    pub(crate) touch: String,
    pub(crate) see: String,
    pub(crate) revoke_new: String,
    pub(crate) revoked_for_update: String,
    pub(crate) revoke_existing: String,
    pub(crate) drop_expired: String,
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
    pub(crate) purge_invitations: String,
    pub(crate) purge_codes: String,
    pub(crate) purge_attempts: String,
}

impl Queries {
    pub(crate) fn new(p: &str) -> Queries {
        let live = "(forget_at IS NULL OR forget_at > $2)";
        Queries {
            initialized: format!("SELECT EXISTS (SELECT 1 FROM {p}meta WHERE name = 'init')"),
            meta_exists: format!("SELECT to_regclass('{p}meta') IS NOT NULL"),
            redeem: format!(
                "SELECT o_outcome, o_uses, o_joined_at FROM {p}redeem($1, $2, $3, $4, $5, $6, $7)"
            ),
            check: format!("SELECT {p}check($1, $2, $3, $4, $5)"),
            // $1 issue second, $2 inviter (NULL: none): every rule covering it, everyone first.
            rules_for: format!(
                "SELECT scope, cutoff_ms FROM {p}rules \
                 WHERE (scope = '*' OR scope = 'i:' || $2) AND $1 * 1000 < cutoff_ms \
                 ORDER BY scope = '*' DESC"
            ),
            live_row: format!(
                "SELECT uses, max_uses, revoked_at, seen, issued_s, inviter, recorded, \
                 rec_issued_s, rec_expires_s, rec_email, rec_max_uses, rec_inviter, \
                 rec_description FROM {p}invitations WHERE id = $1 AND {live}"
            ),
            touch: format!("SELECT uses FROM {p}touch($1, $2, $3)"),
            see: format!(
                "UPDATE {p}invitations SET issued_s = $2, inviter = $3, seen = TRUE \
                 WHERE id = $1 AND NOT seen"
            ),
            // A new row: kept until the given time, or forever.
            revoke_new: format!(
                "INSERT INTO {p}invitations (id, forget_at, revoked_at) VALUES ($1, $3, $2) \
                 ON CONFLICT (id) DO NOTHING RETURNING TRUE"
            ),
            // An existing row, locked first: was it revoked already?
            revoked_for_update: format!(
                "SELECT revoked_at IS NOT NULL FROM {p}invitations WHERE id = $1 FOR UPDATE"
            ),
            // Then revoked (the first time only), kept at least until $3.
            revoke_existing: format!(
                "UPDATE {p}invitations AS t SET \
                   revoked_at = COALESCE(t.revoked_at, $2), \
                   forget_at = CASE WHEN t.forget_at IS NULL OR $3::BIGINT IS NULL \
                                    THEN t.forget_at ELSE GREATEST(t.forget_at, $3) END \
                 WHERE t.id = $1"
            ),
            drop_expired: format!(
                "DELETE FROM {p}invitations WHERE id = $1 \
                 AND COALESCE(forget_at, 9223372036854775807) <= $2"
            ),
            raise_rule: format!(
                "INSERT INTO {p}rules AS r (scope, cutoff_ms) VALUES ($1, $2) \
                 ON CONFLICT (scope) DO UPDATE SET cutoff_ms = GREATEST(r.cutoff_ms, EXCLUDED.cutoff_ms) \
                 RETURNING cutoff_ms"
            ),
            all_rules: format!("SELECT scope, cutoff_ms FROM {p}rules ORDER BY scope"),
            joiners: format!(
                "SELECT joiner, joined_at FROM {p}joiners WHERE id = $1 \
                 ORDER BY joined_at, joiner"
            ),
            record: format!(
                "UPDATE {p}invitations SET recorded = TRUE, rec_issued_s = $2, \
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
                   AND ($5::BOOLEAN OR rec_expires_s IS NULL OR rec_expires_s > $2) \
                   AND ($3::TEXT IS NULL OR rec_inviter = $3) \
                   AND (NOT $6::BOOLEAN OR CASE WHEN $7::BIGINT IS NULL \
                     THEN rec_expires_s IS NULL AND id > $8::BYTEA \
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
                "INSERT INTO {p}attempts AS a (client, window_ms, window_no, count, ends_at) \
                 VALUES ($1, $2, $3, 1, $4) \
                 ON CONFLICT (client, window_ms, window_no) DO UPDATE SET count = a.count + 1 \
                 RETURNING count"
            ),
            // Bounded deletes: at most $2 rows, found by the forget-at index, deleted by
            // primary key (`= ANY(ARRAY(…))` keeps the plan on indexes at any table size).
            purge_invitations: format!(
                "DELETE FROM {p}invitations WHERE id = ANY(ARRAY(SELECT id FROM {p}invitations \
                 WHERE forget_at IS NOT NULL AND forget_at <= $1 LIMIT $2))"
            ),
            purge_codes: format!(
                "DELETE FROM {p}codes WHERE code = ANY(ARRAY(SELECT code FROM {p}codes \
                 WHERE forget_at IS NOT NULL AND forget_at <= $1 LIMIT $2))"
            ),
            purge_attempts: format!(
                "DELETE FROM {p}attempts WHERE ctid = ANY(ARRAY(SELECT ctid FROM {p}attempts \
                 WHERE ends_at <= $1 LIMIT $2))"
            ),
        }
    }
}
