-- The schema of PgStore, version 3, after the tables every SQL store has (`sql/schema.sql`):
-- the invitations, their joiners and visits, and the functions that redeem and check in one
-- round trip. `migrate()` runs it all in one transaction, under an advisory lock. Times are
-- Unix milliseconds (BIGINT), compared with the store's clock passed in by the caller.

CREATE TABLE IF NOT EXISTS {p}invitations (
    id              BYTEA PRIMARY KEY,
    forget_at       BIGINT,           -- NULL: kept until deleted (a never-expiring invitation)
    uses            INTEGER NOT NULL DEFAULT 0,
    max_uses        INTEGER,
    revoked_at      BIGINT,
    seen            BOOLEAN NOT NULL DEFAULT FALSE,
    issued_s        BIGINT,           -- issue second and inviter, once a redemption or a
    inviter         TEXT,             -- record showed them: what names a rule in status()
    recorded        BOOLEAN NOT NULL DEFAULT FALSE,
    rec_issued_s    BIGINT,
    rec_expires_s   BIGINT,
    rec_email       TEXT,
    rec_max_uses    INTEGER,
    rec_inviter     TEXT,
    rec_description TEXT,
    rec_email_key   BYTEA,             -- the email and the inviter lower-cased (UTF-8), for
    rec_inviter_key BYTEA              -- searches by their start: compared byte by byte
);
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
    id        BYTEA NOT NULL REFERENCES {p}invitations (id) ON DELETE CASCADE,
    joiner    TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (id, joiner)
);

CREATE TABLE IF NOT EXISTS {p}visits (
    id       BYTEA NOT NULL REFERENCES {p}invitations (id) ON DELETE CASCADE,
    seq      BIGSERIAL,
    at_ms    BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (id, seq)
);

-- The event log (docs/events.md): one row per fact, written in the transaction that makes it
-- true. `xid` is that transaction's ID: events are read in (xid, seq) order and only below the
-- oldest transaction still running, so a reader never passes an event that has yet to commit.
-- `kind` is 0 issued, 1 visited, 2 redeemed, 3 exhausted, 4 revoked, 5 rule_added,
-- 6 code_created; the other columns hold what that kind needs.
CREATE TABLE IF NOT EXISTS {p}events (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY,
    xid       BIGINT NOT NULL DEFAULT (pg_current_xact_id()::TEXT::BIGINT),
    at_ms     BIGINT NOT NULL,
    kind      INTEGER NOT NULL,
    id        BYTEA,
    inviter   TEXT,
    actor     TEXT,
    joiner    TEXT,
    uses      INTEGER,
    max_uses  INTEGER,
    time_ms   BIGINT,
    email     TEXT,
    note      TEXT,
    forget_at BIGINT              -- NULL: kept until deleted
);
CREATE UNIQUE INDEX IF NOT EXISTS {p}events_order ON {p}events (xid, seq);
CREATE INDEX IF NOT EXISTS {p}events_of ON {p}events (id, xid, seq);
CREATE INDEX IF NOT EXISTS {p}events_by ON {p}events (inviter, xid, seq);
CREATE INDEX IF NOT EXISTS {p}events_forget ON {p}events (forget_at) WHERE forget_at IS NOT NULL;

-- The row of an invitation, live: an expired row is dropped first (its joiners and visits
-- with it), then the row is created, or its forget_at lengthened (NULL wins: forever). The
-- row stays locked until the caller's transaction ends, which serializes redemptions.
CREATE OR REPLACE FUNCTION {p}touch(p_id BYTEA, p_now BIGINT, p_until BIGINT)
RETURNS SETOF {p}invitations LANGUAGE plpgsql AS $$
BEGIN
    -- COALESCE keeps the forget_at index out of this plan: the row is found by its key.
    DELETE FROM {p}invitations t
        WHERE t.id = p_id AND COALESCE(t.forget_at, 9223372036854775807) <= p_now;
    RETURN QUERY
    INSERT INTO {p}invitations AS t (id, forget_at) VALUES (p_id, p_until)
        ON CONFLICT (id) DO UPDATE SET forget_at = CASE
            WHEN t.forget_at IS NULL OR EXCLUDED.forget_at IS NULL THEN NULL
            ELSE GREATEST(t.forget_at, EXCLUDED.forget_at) END
        RETURNING t.*;
END $$;

-- Redemption in one round trip. Outcome: 0 counted, 1 revoked, 2 used up, 3 not initialized,
-- 4 this joiner had already redeemed it (its first redemption is returned). A counted
-- redemption writes its `redeemed` event (and `exhausted` on the last use), kept as long as the
-- invitation's state or p_keep ms, whichever is longer. The row stays locked until the
-- caller's transaction ends.
--
-- The usual case (a new joiner on a live invitation under its limit) takes the short way: one
-- statement counts the use (an upsert creating the row, or updating it only if it is live, not
-- revoked and under the limit, rechecked on the latest version when another transaction got
-- there first) and inserts the joiner and the event: three rows written, nothing read twice. If the
-- upsert changes nothing, or the joiner was there already (its count is then taken back; the
-- row's forget time may have been lengthened, which only keeps it longer), the long way
-- decides, exactly as it always did, and counts with the same upsert when nothing refuses.
CREATE OR REPLACE FUNCTION {p}redeem(
    p_id BYTEA, p_joiner TEXT, p_now BIGINT, p_until BIGINT, p_max INTEGER,
    p_issued_s BIGINT, p_inviter TEXT, p_actor TEXT, p_keep BIGINT)
RETURNS TABLE (o_outcome INTEGER, o_uses INTEGER, o_joined_at BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    r {p}invitations%ROWTYPE;
    earlier BIGINT;
    counted INTEGER;
    fresh BIGINT;
    is_marked BOOLEAN;
    ruled BOOLEAN;
BEGIN
    -- The marker and the rules, in one statement.
    SELECT {marked},
           EXISTS (SELECT 1 FROM {p}rules ru
                   WHERE (ru.scope = '*' OR ru.scope = 'i:' || p_inviter)
                     AND p_issued_s * 1000 < ru.cutoff_ms)
        INTO is_marked, ruled;
    IF NOT is_marked THEN
        RETURN QUERY SELECT 3, 0, 0::BIGINT; RETURN;
    END IF;
    IF ruled THEN
        RETURN QUERY SELECT 1, 0, 0::BIGINT; RETURN;
    END IF;
    -- Pass 1 takes the short way. Pass 2 comes only after the long way found nothing to refuse
    -- (the row is then live, locked and under its limit, the joiner new), so its upsert counts.
    FOR pass IN 1 .. 2 LOOP
        IF p_max IS NULL OR p_max > 0 THEN
            -- One statement: the use, the joiner if new, and its events if the joiner was new.
            WITH u AS (
                INSERT INTO {p}invitations AS t (id, forget_at, uses, max_uses, issued_s, inviter,
                                                 seen)
                    VALUES (p_id, p_until, 1, p_max, p_issued_s, p_inviter, TRUE)
                    ON CONFLICT (id) DO UPDATE SET
                        uses = t.uses + 1,
                        max_uses = COALESCE(p_max, t.max_uses),
                        forget_at = CASE WHEN t.forget_at IS NULL OR p_until IS NULL THEN NULL
                                         ELSE GREATEST(t.forget_at, p_until) END,
                        issued_s = CASE WHEN t.seen THEN t.issued_s ELSE p_issued_s END,
                        inviter = CASE WHEN t.seen THEN t.inviter ELSE p_inviter END,
                        seen = TRUE
                    WHERE t.revoked_at IS NULL
                      AND COALESCE(t.forget_at, 9223372036854775807) > p_now
                      AND (p_max IS NULL OR t.uses < p_max)
                    RETURNING t.uses AS u_uses, t.inviter AS u_who,
                        CASE WHEN t.forget_at IS NULL THEN NULL
                             ELSE GREATEST(t.forget_at, p_now + p_keep) END AS u_kept
            ), j AS (
                INSERT INTO {p}joiners (id, joiner, joined_at)
                    SELECT p_id, p_joiner, p_now FROM u
                    ON CONFLICT DO NOTHING
                    RETURNING 1 AS j_new
            ), e AS (
                -- `redeemed`, and `exhausted` on the last use.
                INSERT INTO {p}events (at_ms, kind, id, inviter, actor, joiner, uses, max_uses,
                                       forget_at)
                    SELECT p_now, k.kind, p_id, u.u_who, p_actor,
                           CASE WHEN k.kind = 2 THEN p_joiner END,
                           CASE WHEN k.kind = 2 THEN u.u_uses END, p_max, u.u_kept
                    FROM u, j, (VALUES (2), (3)) AS k (kind)
                    WHERE k.kind = 2 OR (p_max IS NOT NULL AND u.u_uses >= p_max)
            )
            SELECT u.u_uses, (SELECT count(*) FROM j) INTO counted, fresh FROM u;
            IF counted IS NOT NULL THEN
                IF fresh = 1 THEN
                    RETURN QUERY SELECT 0, counted, p_now; RETURN;
                END IF;
                -- A repeat: the use it counted is taken back (the row is ours, locked).
                UPDATE {p}invitations t SET uses = t.uses - 1 WHERE t.id = p_id;
            END IF;
        END IF;
        EXIT WHEN pass = 2;
        -- The long way: no live row, revoked, a repeat, at the limit.
        SELECT * INTO r FROM {p}invitations t WHERE t.id = p_id FOR UPDATE;
        IF FOUND AND COALESCE(r.forget_at, 9223372036854775807) <= p_now THEN
            DELETE FROM {p}invitations t WHERE t.id = p_id;
            FOUND := FALSE;
        END IF;
        IF NOT FOUND THEN
            INSERT INTO {p}invitations (id, forget_at) VALUES (p_id, p_until)
                ON CONFLICT (id) DO NOTHING;
            SELECT * INTO r FROM {p}invitations t WHERE t.id = p_id FOR UPDATE;
        END IF;
        IF r.revoked_at IS NOT NULL THEN
            RETURN QUERY SELECT 1, 0, 0::BIGINT; RETURN;
        END IF;
        SELECT j.joined_at INTO earlier FROM {p}joiners j
            WHERE j.id = p_id AND j.joiner = p_joiner;
        IF FOUND THEN
            RETURN QUERY SELECT 4, r.uses, earlier; RETURN;
        END IF;
        IF p_max IS NOT NULL AND r.uses >= p_max THEN
            UPDATE {p}invitations t SET max_uses = p_max WHERE t.id = p_id;
            RETURN QUERY SELECT 2, r.uses, 0::BIGINT; RETURN;
        END IF;
    END LOOP;
    RAISE EXCEPTION 'admit: a redemption found nothing to refuse and could not count it';
END $$;

-- Redemptions one after the other, each as {p}redeem alone and seeing those before it, in the
-- order of the arrays (group commit: one statement, one transaction, one flush for them all).
-- o_n is each one's position, from 1.
CREATE OR REPLACE FUNCTION {p}redeem_many(
    p_id BYTEA[], p_joiner TEXT[], p_now BIGINT[], p_until BIGINT[], p_max INTEGER[],
    p_issued_s BIGINT[], p_inviter TEXT[], p_actor TEXT[], p_keep BIGINT[])
RETURNS TABLE (o_n INTEGER, o_outcome INTEGER, o_uses INTEGER, o_joined_at BIGINT)
LANGUAGE plpgsql AS $$
BEGIN
    FOR n IN 1 .. COALESCE(array_length(p_id, 1), 0) LOOP
        RETURN QUERY SELECT n, r.o_outcome, r.o_uses, r.o_joined_at
            FROM {p}redeem(p_id[n], p_joiner[n], p_now[n], p_until[n], p_max[n],
                           p_issued_s[n], p_inviter[n], p_actor[n], p_keep[n]) r;
    END LOOP;
END $$;

-- Revoked or used up? One statement, nothing written. Outcome: 0 fine, 1 revoked, 2 used up,
-- 3 not initialized.
CREATE OR REPLACE FUNCTION {p}check(
    p_id BYTEA, p_now BIGINT, p_max INTEGER, p_issued_s BIGINT, p_inviter TEXT)
RETURNS INTEGER LANGUAGE plpgsql STABLE AS $$
DECLARE
    r {p}invitations%ROWTYPE;
BEGIN
    IF NOT {marked} THEN
        RETURN 3;
    END IF;
    IF EXISTS (SELECT 1 FROM {p}rules ru
               WHERE (ru.scope = '*' OR ru.scope = 'i:' || p_inviter)
                 AND p_issued_s * 1000 < ru.cutoff_ms) THEN
        RETURN 1;
    END IF;
    SELECT * INTO r FROM {p}invitations t
        WHERE t.id = p_id AND COALESCE(t.forget_at, 9223372036854775807) > p_now;
    IF NOT FOUND THEN
        RETURN 0;
    ELSIF r.revoked_at IS NOT NULL THEN
        RETURN 1;
    ELSIF p_max IS NOT NULL AND r.uses >= p_max THEN
        RETURN 2;
    END IF;
    RETURN 0;
END $$;

-- What the database itself refuses, so that no statement outside the store quietly undoes a
-- promise: TRUNCATE of a table that holds revocations, use counts or the marker; deleting the
-- invitations' sentinel row (so `DELETE FROM {p}invitations` without WHERE fails as a whole);
-- deleting a rule, or moving its cut-off earlier (the store only ever moves it later). Whoever
-- disables these triggers still meets the sentinel rows (checked in every decision): the
-- store closes, and `migrate()` refuses to start afresh.
CREATE OR REPLACE FUNCTION {p}refuse_loss() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admit: % on % refused: it would lose revocations or use counts (see SECURITY.md, "What the SQL stores detect")',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;

DO $$
DECLARE
    guard RECORD;
BEGIN
    FOR guard IN SELECT * FROM (VALUES
        ('{p}meta_kept', '{p}meta', 'BEFORE TRUNCATE', 'STATEMENT', ''),
        ('{p}rules_kept', '{p}rules', 'BEFORE TRUNCATE', 'STATEMENT', ''),
        ('{p}invitations_kept', '{p}invitations', 'BEFORE TRUNCATE', 'STATEMENT', ''),
        ('{p}joiners_kept', '{p}joiners', 'BEFORE TRUNCATE', 'STATEMENT', ''),
        ('{p}sentinel_kept', '{p}invitations', 'BEFORE DELETE', 'ROW',
         'WHEN (OLD.id = ''\x''::BYTEA)'),
        ('{p}rules_never_deleted', '{p}rules', 'BEFORE DELETE', 'ROW', ''),
        ('{p}rules_only_later', '{p}rules', 'BEFORE UPDATE', 'ROW',
         'WHEN (NEW.cutoff_ms < OLD.cutoff_ms OR NEW.scope <> OLD.scope)')
    ) AS g (name, tab, timing, each, cond) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger
                       WHERE tgname = guard.name AND tgrelid = guard.tab::regclass) THEN
            EXECUTE format('CREATE TRIGGER %I %s ON %I FOR EACH %s %s EXECUTE FUNCTION %I()',
                guard.name, guard.timing, guard.tab, guard.each, guard.cond, '{p}refuse_loss');
        END IF;
    END LOOP;
END $$;
