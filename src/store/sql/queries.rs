//! The SQL that PostgreSQL and SQLite run alike, written once, with the table prefix and the
//! few words their dialects spell differently filled in when a store is built. Times are Unix
//! milliseconds; `$now` is always the store's clock. Each dialect adds its own statements
//! (`own`): redemption, check, revocation and purging differ in more than words.

/// The words a dialect spells its own way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Words {
    /// The larger of two values: `GREATEST` or `MAX`.
    pub(crate) greatest: &'static str,
    /// Suffixes that give a parameter its type where the database cannot infer it
    /// (`::BOOLEAN`, `::TEXT`, `::BIGINT`, `::BYTEA` in PostgreSQL; nothing in SQLite).
    pub(crate) as_bool: &'static str,
    pub(crate) as_text: &'static str,
    pub(crate) as_bigint: &'static str,
    pub(crate) as_bytes: &'static str,
    /// An event's place: the first part of its cursor (`xid` in PostgreSQL, `0` in SQLite)
    /// and the test that it is past the cursor `($1, $2)`.
    pub(crate) event_major: &'static str,
    pub(crate) event_after: &'static str,
    /// The log's order: `xid, seq` in PostgreSQL, `seq` in SQLite.
    pub(crate) event_order: &'static str,
    /// The events a reader may return, below the horizon `$7`: in PostgreSQL, only those of
    /// transactions older than every transaction still running, so none can commit behind the
    /// reader's cursor (see `Dialect::event_horizon`).
    pub(crate) event_visible: &'static str,
    /// The empty byte string, the ID of the invitations table's sentinel row: `'\x'::BYTEA`
    /// or `X''`.
    pub(crate) empty_bytes: &'static str,
}

/// The scope of the rules table's sentinel row: never `*` or `i:…`, so no rule matches it.
pub(crate) const SENTINEL_SCOPE: &str = "#store";

/// True in an initialized store whose data is all there: the marker in `{p}meta`, and the
/// sentinel rows `migrate()` writes into `{p}rules` and `{p}invitations` with it. Emptying a
/// table (`TRUNCATE`, `DELETE` without `WHERE`, a restore of its schema without its rows)
/// takes the sentinel with it, and the store closes. One expression, in every statement that
/// decides whether the store may answer (PostgreSQL's functions and SQLite's redemption too).
pub(crate) fn marked(p: &str, w: &Words) -> String {
    let mut test = format!("(EXISTS (SELECT 1 FROM {p}meta WHERE name = 'init')");
    for (table, row) in sentinel_rows(w) {
        test.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM {p}{table} WHERE {row})"
        ));
    }
    test.push(')');
    test
}

/// Each table with a sentinel row, and the condition that finds that row.
pub(crate) fn sentinel_rows(w: &Words) -> [(&'static str, String); 2] {
    [
        ("rules", format!("scope = '{SENTINEL_SCOPE}'")),
        ("invitations", format!("id = {}", w.empty_bytes)),
    ]
}

/// The sentinel rows [`marked`] looks for, written by `migrate()` only (never by the schema
/// itself, which runs on every migration: a lost sentinel must stay lost).
pub(crate) fn sentinels(p: &str, w: &Words) -> String {
    format!(
        "INSERT INTO {p}rules (scope, cutoff_ms) VALUES ('{SENTINEL_SCOPE}', 0)            ON CONFLICT (scope) DO NOTHING;          INSERT INTO {p}invitations (id) VALUES ({}) ON CONFLICT (id) DO NOTHING;",
        w.empty_bytes
    )
}

/// Every statement a SQL store runs: the shared ones, and the dialect's `own`.
#[derive(Clone, Debug)]
pub(crate) struct Queries<O> {
    pub(crate) initialized: String,
    pub(crate) rules_for: String,
    pub(crate) live_row: String,
    pub(crate) see: String,
    pub(crate) raise_rule: String,
    pub(crate) rule_of: String,
    pub(crate) all_rules: String,
    pub(crate) consumer: String,
    pub(crate) consumer_new: String,
    pub(crate) consumer_set: String,
    pub(crate) event_of: String,
    pub(crate) event_free: String,
    /// A page of the log: all of it, one invitation's, one inviter's.
    pub(crate) events: [String; 3],
    pub(crate) joiners: String,
    pub(crate) record: String,
    pub(crate) list: String,
    pub(crate) list_search: String,
    pub(crate) list_newest: String,
    pub(crate) list_newest_search: String,
    pub(crate) count: String,
    pub(crate) count_search: String,
    pub(crate) visit: String,
    pub(crate) trim_visits: String,
    pub(crate) visits: String,
    pub(crate) code_free: String,
    pub(crate) code_insert: String,
    pub(crate) code_get: String,
    pub(crate) attempt: String,
    pub(crate) own: O,
}

impl<O> Queries<O> {
    pub(crate) fn new(p: &str, w: Words, own: O) -> Queries<O> {
        let live = "(forget_at IS NULL OR forget_at > $2)";
        let Words {
            greatest,
            as_bool,
            as_text,
            as_bigint: _,
            as_bytes,
            event_major,
            event_after,
            event_order,
            event_visible,
            empty_bytes: _,
        } = w;
        // $1, $2 the cursor, $3 now, $4 the key (invitation or inviter), $5 the kinds (a bit
        // each), $6 the limit, $7 the horizon, $8 the earliest time (unix ms).
        let events = |key: &str| {
            format!(
                "SELECT {event_major} AS major, seq, at_ms, kind, id, inviter, actor, joiner, \
                 uses, max_uses, time_ms, email, note, forget_at FROM {p}events \
                 WHERE {key} AND {event_after} AND {event_visible} \
                   AND (forget_at IS NULL OR forget_at > $3) AND (($5 >> kind) & 1) = 1 \
                   AND at_ms >= $8 \
                 ORDER BY {event_order} LIMIT $6"
            )
        };
        Queries {
            initialized: format!("SELECT {} AS found", marked(p, &w)),
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
            see: format!(
                "UPDATE {p}invitations SET issued_s = $2, inviter = $3, seen = TRUE \
                 WHERE id = $1 AND NOT seen"
            ),
            events: [
                events(&format!("$4{as_bytes} IS NULL")),
                events("id = $4"),
                events("inviter = $4"),
            ],
            // A row only when the rule moved forward (new, or later than before).
            raise_rule: format!(
                "INSERT INTO {p}rules AS r (scope, cutoff_ms) VALUES ($1, $2) \
                 ON CONFLICT (scope) DO UPDATE SET cutoff_ms = excluded.cutoff_ms \
                 WHERE r.cutoff_ms < excluded.cutoff_ms \
                 RETURNING cutoff_ms"
            ),
            rule_of: format!("SELECT cutoff_ms FROM {p}rules WHERE scope = $1"),
            consumer: format!("SELECT version, record FROM {p}consumers WHERE name = $1"),
            consumer_new: format!(
                "INSERT INTO {p}consumers (name, version, record) VALUES ($1, 1, $2) \
                 ON CONFLICT (name) DO NOTHING"
            ),
            consumer_set: format!(
                "UPDATE {p}consumers SET version = version + 1, record = $3 \
                 WHERE name = $1 AND version = $2"
            ),
            // An event about invitation $1, with its row's inviter, kept as long as the row or
            // $11 ms after now ($2), whichever is longer. $3 kind, $4 actor, $5 joiner, $6 uses,
            // $7 limit, $8 time, $9 email, $10 note.
            event_of: format!(
                "INSERT INTO {p}events (at_ms, kind, id, inviter, actor, joiner, uses, \
                   max_uses, time_ms, email, note, forget_at) \
                 SELECT $2, $3, i.id, i.inviter, $4, $5, $6, $7, $8, $9, $10, \
                   CASE WHEN i.forget_at IS NULL THEN NULL \
                        ELSE {greatest}(i.forget_at, $2 + $11) END \
                 FROM {p}invitations i WHERE i.id = $1"
            ),
            // An event with no invitation row behind it: a rule, a code ($1 now, $2 kind,
            // $3 invitation, $4 inviter, $5 actor, $6 time, $7 forget-at).
            event_free: format!(
                "INSERT INTO {p}events (at_ms, kind, id, inviter, actor, time_ms, forget_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ),
            all_rules: format!(
                "SELECT scope, cutoff_ms FROM {p}rules WHERE scope <> '{SENTINEL_SCOPE}' \
                 ORDER BY scope"
            ),
            joiners: format!(
                "SELECT joiner, joined_at FROM {p}joiners WHERE id = $1 \
                 ORDER BY joined_at, joiner"
            ),
            record: format!(
                "UPDATE {p}invitations SET recorded = TRUE, rec_issued_s = $2, \
                 rec_expires_s = $3, rec_email = $4, rec_max_uses = $5, rec_inviter = $6, \
                 rec_description = $7, rec_email_key = $8, rec_inviter_key = $9 WHERE id = $1"
            ),
            // $1 now (ms), $2 now (s), $3 inviter or NULL, $4 limit.
            // $5 expired too, $6 after a cursor: expiry $7 (NULL: never), ID $8.
            list: list(p, &w, false, false),
            list_search: list(p, &w, false, true),
            list_newest: list(p, &w, true, false),
            list_newest_search: list(p, &w, true, true),
            // How many `list` holds over all its pages: $1 now (ms), $2 now (s), $3 inviter or
            // NULL, $4 expired too; with a search, keys in [$5, $6).
            count: format!(
                "SELECT count(*) AS n FROM {p}invitations \
                 WHERE recorded AND (forget_at IS NULL OR forget_at > $1) \
                   AND ($4{as_bool} OR rec_expires_s IS NULL OR rec_expires_s > $2) \
                   AND ($3{as_text} IS NULL OR rec_inviter = $3)"
            ),
            count_search: format!(
                "SELECT count(*) AS n FROM {p}invitations \
                 WHERE recorded AND (forget_at IS NULL OR forget_at > $1) \
                   AND ($4{as_bool} OR rec_expires_s IS NULL OR rec_expires_s > $2) \
                   AND ($3{as_text} IS NULL OR rec_inviter = $3) \
                   AND ((rec_email_key >= $5{as_bytes} AND rec_email_key < $6{as_bytes}) \
                     OR (rec_inviter_key >= $5 AND rec_inviter_key < $6))"
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
            own,
        }
    }
}

/// A page of the registry. $1 now (ms), $2 now (s), $3 inviter or NULL, $4 limit, $5 expired
/// too, $6 after a cursor: soonest expiry first, the cursor's expiry $7 (NULL: never) and ID
/// $8; `newest` first, its issue second $7 and ID $8. With a `search`, only those whose email
/// or inviter key lies in [$9, $10): two index range scans (email, inviter), then the order.
fn list(p: &str, words: &Words, newest: bool, search: bool) -> String {
    let Words {
        as_bool,
        as_text,
        as_bigint,
        as_bytes,
        ..
    } = *words;
    let (after, order) = if newest {
        (
            format!("rec_issued_s < $7{as_bigint} OR (rec_issued_s = $7 AND id < $8{as_bytes})"),
            "rec_issued_s DESC, id DESC",
        )
    } else {
        (
            format!(
                "CASE WHEN $7{as_bigint} IS NULL \
                 THEN rec_expires_s IS NULL AND id > $8{as_bytes} \
                 ELSE rec_expires_s IS NULL OR rec_expires_s > $7 \
                   OR (rec_expires_s = $7 AND id > $8) END"
            ),
            "rec_expires_s ASC NULLS LAST, id",
        )
    };
    let search = if search {
        format!(
            "AND ((rec_email_key >= $9{as_bytes} AND rec_email_key < $10{as_bytes}) \
               OR (rec_inviter_key >= $9 AND rec_inviter_key < $10))"
        )
    } else {
        String::new()
    };
    format!(
        "SELECT id, uses, revoked_at, issued_s, inviter, seen, rec_issued_s, \
         rec_expires_s, rec_email, rec_max_uses, rec_inviter, rec_description \
         FROM {p}invitations \
         WHERE recorded AND (forget_at IS NULL OR forget_at > $1) \
           AND ($5{as_bool} OR rec_expires_s IS NULL OR rec_expires_s > $2) \
           AND ($3{as_text} IS NULL OR rec_inviter = $3) \
           AND (NOT $6{as_bool} OR {after}) {search} \
         ORDER BY {order} LIMIT $4"
    )
}
