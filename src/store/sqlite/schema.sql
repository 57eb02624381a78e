-- The schema of SqliteStore, version 1: the tables of PgStore's schema in SQLite's types, with
-- the logic of PgStore's PL/pgSQL functions in Rust (src/store/sqlite/ops.rs), run inside one
-- write transaction. `{p}` is the table prefix (default `admit_`), checked to be lowercase
-- letters, digits and underscores. Every statement is idempotent: `migrate()` runs them all in
-- one write transaction and records the version in {p}meta. Times are Unix milliseconds
-- (INTEGER), compared with the store's clock: a row past its forget_at never affects an answer,
-- and purge_expired() deletes it. Child rows (joiners, visits) are deleted with their
-- invitation by the store itself, so nothing depends on PRAGMA foreign_keys.

CREATE TABLE IF NOT EXISTS {p}meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

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
    rec_description TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {p}invitations_forget ON {p}invitations (forget_at);
CREATE INDEX IF NOT EXISTS {p}invitations_listed
    ON {p}invitations (rec_expires_s, id) WHERE recorded;

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

-- Revocation rules: scope '*' (everyone) or 'i:' || inviter; cut-offs only ever move later.
CREATE TABLE IF NOT EXISTS {p}rules (
    scope     TEXT PRIMARY KEY,
    cutoff_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS {p}codes (
    code      TEXT PRIMARY KEY,
    token     TEXT NOT NULL,
    forget_at INTEGER
);
CREATE INDEX IF NOT EXISTS {p}codes_forget ON {p}codes (forget_at);

CREATE TABLE IF NOT EXISTS {p}attempts (
    client    TEXT NOT NULL,
    window_ms INTEGER NOT NULL,
    window_no INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    ends_at   INTEGER NOT NULL,
    PRIMARY KEY (client, window_ms, window_no)
);
CREATE INDEX IF NOT EXISTS {p}attempts_ends ON {p}attempts (ends_at);
