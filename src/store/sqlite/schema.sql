-- The schema of SqliteStore, version 3, after the tables every SQL store has (`sql/schema.sql`):
-- PgStore's invitations, joiners and visits in SQLite's types. The logic of PgStore's PL/pgSQL
-- functions is in Rust (src/store/sqlite/mod.rs), run inside one write transaction. Child rows
-- (joiners, visits) are deleted with their invitation by the store itself, so nothing depends
-- on PRAGMA foreign_keys.

CREATE TABLE IF NOT EXISTS {p}invitations (
    id              BLOB PRIMARY KEY,
    forget_at       INTEGER,          -- NULL: kept until deleted (a never-expiring invitation)
    uses            INTEGER NOT NULL DEFAULT 0,
    max_uses        INTEGER,
    revoked_at      INTEGER,
    seen            INTEGER NOT NULL DEFAULT 0,
    issued_s        INTEGER,          -- issue second and inviter, once a redemption or a
    inviter         TEXT,             -- record showed them: what names a rule in status()
    recorded        INTEGER NOT NULL DEFAULT 0,
    rec_issued_s    INTEGER,
    rec_expires_s   INTEGER,
    rec_email       TEXT,
    rec_max_uses    INTEGER,
    rec_inviter     TEXT,
    rec_description TEXT,
    rec_email_key   BLOB,              -- the email and the inviter lower-cased (UTF-8), for
    rec_inviter_key BLOB               -- searches by their start: compared byte by byte
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {p}invitations_forget ON {p}invitations (forget_at);
CREATE INDEX IF NOT EXISTS {p}invitations_listed
    ON {p}invitations (rec_expires_s, id) WHERE recorded;
CREATE INDEX IF NOT EXISTS {p}invitations_newest
    ON {p}invitations (rec_issued_s, id) WHERE recorded;
CREATE INDEX IF NOT EXISTS {p}invitations_email_key
    ON {p}invitations (rec_email_key) WHERE recorded;
CREATE INDEX IF NOT EXISTS {p}invitations_inviter_key
    ON {p}invitations (rec_inviter_key) WHERE recorded;

CREATE TABLE IF NOT EXISTS {p}joiners (
    id        BLOB NOT NULL,
    joiner    TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (id, joiner)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS {p}visits (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       BLOB NOT NULL,
    at_ms    INTEGER NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}visits_of ON {p}visits (id, seq);


-- The event log (docs/events.md): one row per fact, written in the transaction that makes it
-- true. SQLite has one writer at a time, so `seq` (never reused: AUTOINCREMENT) is commit
-- order. `kind` is 0 issued, 1 visited, 2 redeemed, 3 exhausted, 4 revoked, 5 rule_added,
-- 6 code_created; the other columns hold what that kind needs.
CREATE TABLE IF NOT EXISTS {p}events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms     INTEGER NOT NULL,
    kind      INTEGER NOT NULL,
    id        BLOB,
    inviter   TEXT,
    actor     TEXT,
    joiner    TEXT,
    uses      INTEGER,
    max_uses  INTEGER,
    time_ms   INTEGER,
    email     TEXT,
    note      TEXT,
    forget_at INTEGER              -- NULL: kept until deleted
);
CREATE INDEX IF NOT EXISTS {p}events_of ON {p}events (id, seq);
CREATE INDEX IF NOT EXISTS {p}events_by ON {p}events (inviter, seq);
CREATE INDEX IF NOT EXISTS {p}events_forget ON {p}events (forget_at) WHERE forget_at IS NOT NULL;

-- What the database itself refuses, so that no statement outside the store quietly undoes a
-- promise: deleting the invitations' sentinel row (so `DELETE FROM {p}invitations` without
-- WHERE fails as a whole), deleting a rule, or moving its cut-off earlier (the store only ever
-- moves it later). Whoever drops these triggers still meets the sentinel rows: the store
-- closes, and `migrate()` refuses to start afresh.
CREATE TRIGGER IF NOT EXISTS {p}sentinel_kept BEFORE DELETE ON {p}invitations
    WHEN OLD.id = X''
    BEGIN SELECT RAISE(ABORT, 'admit: deleting the sentinel row of the invitations refused: it would lose revocations or use counts (see SECURITY.md)'); END;
CREATE TRIGGER IF NOT EXISTS {p}rules_never_deleted BEFORE DELETE ON {p}rules
    BEGIN SELECT RAISE(ABORT, 'admit: deleting a revocation rule refused (see SECURITY.md)'); END;
CREATE TRIGGER IF NOT EXISTS {p}rules_only_later BEFORE UPDATE ON {p}rules
    WHEN NEW.cutoff_ms < OLD.cutoff_ms OR NEW.scope <> OLD.scope
    BEGIN SELECT RAISE(ABORT, 'admit: moving a revocation rule earlier refused (see SECURITY.md)'); END;
