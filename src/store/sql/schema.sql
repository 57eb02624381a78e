-- The tables every SQL store has, version 1. `{p}` is the table prefix (default `admit_`),
-- checked to be lowercase letters, digits and underscores; `{bigint}` is the database's 64-bit
-- integer (BIGINT in PostgreSQL, INTEGER in SQLite). The invitations, joiners and visits, and
-- PostgreSQL's functions, follow in each database's own file (`postgres/schema.sql`,
-- `sqlite/schema.sql`). Every statement is idempotent: `migrate()` runs them all in one
-- transaction and records the version in {p}meta. Times are Unix milliseconds, compared with
-- the store's clock: a row past its forget_at never affects an answer, and purge_expired()
-- deletes it.

CREATE TABLE IF NOT EXISTS {p}meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Revocation rules: scope '*' (everyone) or 'i:' || inviter; cut-offs only ever move later.
CREATE TABLE IF NOT EXISTS {p}rules (
    scope     TEXT PRIMARY KEY,
    cutoff_ms {bigint} NOT NULL
);

CREATE TABLE IF NOT EXISTS {p}codes (
    code      TEXT PRIMARY KEY,
    token     TEXT NOT NULL,
    forget_at {bigint}
);
CREATE INDEX IF NOT EXISTS {p}codes_forget ON {p}codes (forget_at);

CREATE TABLE IF NOT EXISTS {p}attempts (
    client    TEXT NOT NULL,
    window_ms {bigint} NOT NULL,
    window_no {bigint} NOT NULL,
    count     INTEGER NOT NULL,
    ends_at   {bigint} NOT NULL,
    PRIMARY KEY (client, window_ms, window_no)
);
CREATE INDEX IF NOT EXISTS {p}attempts_ends ON {p}attempts (ends_at);

-- Followers of the event log (webhook endpoints): a record (cursor, lease, failures) that only
-- changes from the version its writer read.
CREATE TABLE IF NOT EXISTS {p}consumers (
    name    TEXT PRIMARY KEY,
    version {bigint} NOT NULL,
    record  TEXT NOT NULL
);
