-- The camat's review: the role the application works as, proposal versions and decisions, the
-- append-only and hash-chained audit trail, and Kirim (the list sent up, locked, with its snapshot).

-- The server and the CLI work as `tinjau_app` (they SET ROLE to it after connecting; see
-- server/src/db/mod.rs): everything on the tables but UPDATE, DELETE and TRUNCATE of the audit trail,
-- even when DATABASE_URL names the owner or a superuser. Roles are per cluster: made once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tinjau_app') THEN
        BEGIN
            CREATE ROLE tinjau_app NOLOGIN;
        EXCEPTION WHEN duplicate_object THEN
            NULL; -- made meanwhile by a migration of another database
        END;
    END IF;
    IF current_user <> 'tinjau_app' AND NOT pg_has_role(current_user, 'tinjau_app', 'MEMBER') THEN
        EXECUTE format('GRANT tinjau_app TO %I', current_user);
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO tinjau_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO tinjau_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO tinjau_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tinjau_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO tinjau_app;
DO $$
BEGIN
    IF to_regclass('_sqlx_migrations') IS NOT NULL THEN
        REVOKE ALL ON _sqlx_migrations FROM tinjau_app;
    END IF;
END
$$;

-- A camat's decision on a proposal, as sent (the client makes the UUID, so a retry is a repeat).
-- Before and after are kept; the latest decision of a proposal is the one that counts.
CREATE TABLE decision (
    id               uuid PRIMARY KEY,
    proposal_id      bigint NOT NULL REFERENCES proposal (id),
    action           text NOT NULL CHECK (action IN ('approve', 'reject', 'set_volume')),
    -- Rejection grounds (a)-(g) of the guideline (Juknis Musrenbang Kecamatan 2016, D.2).
    reason           text CHECK (reason IN ('a', 'b', 'c', 'd', 'e', 'f', 'g')),
    note             text,
    status_before    text NOT NULL,
    status_after     text NOT NULL,
    volume_before    numeric NOT NULL,
    satuan_before    text NOT NULL,
    unit_before      text,
    anggaran_before  bigint NOT NULL,
    volume_after     numeric NOT NULL CHECK (volume_after > 0),
    satuan_after     text NOT NULL,
    unit_after       text,
    anggaran_after   bigint NOT NULL CHECK (anggaran_after >= 0),
    -- What the review suggested when the camat decided (NULL: nothing obvious).
    suggestion       jsonb,
    -- SHA-256 of the request as received: a repeat of the UUID must match it.
    body_sha256      text NOT NULL,
    version_before   integer NOT NULL,
    version_after    integer NOT NULL,
    decided_by       bigint REFERENCES app_user (id),
    decided_by_name  text NOT NULL,
    decided_role     text NOT NULL,
    decided_at       timestamptz NOT NULL DEFAULT now(),
    request_id       text,
    CHECK ((action = 'reject') = (reason IS NOT NULL))
);
CREATE INDEX decision_proposal_idx ON decision (proposal_id, decided_at);

-- The proposal's review state. `version` is its ETag: every decision and every change by an
-- import takes the next one. decided_* are NULL until a set_volume corrects the proposed values.
ALTER TABLE proposal
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN decision_status text NOT NULL DEFAULT 'undecided'
        CHECK (decision_status IN ('undecided', 'approved', 'rejected')),
    ADD COLUMN decision_id uuid REFERENCES decision (id),
    ADD COLUMN decided_volume numeric CHECK (decided_volume > 0),
    ADD COLUMN decided_satuan text,
    ADD COLUMN decided_unit text,
    ADD COLUMN decided_anggaran bigint CHECK (decided_anggaran >= 0);
CREATE INDEX proposal_review_idx ON proposal (kecamatan_kode, tahun, decision_status);

-- The audit trail: every change to a proposal, survey, photo, decision, user, token and import,
-- appended by audit_append() below. Each row carries the SHA-256 of the previous row and of its own
-- content (audit_digest()), so a row changed or removed behind the application's back breaks the
-- chain (`tinjau audit verify`); the head of the chain at each Kirim is printed on the Berita Acara.
CREATE TABLE audit_event (
    seq             bigint PRIMARY KEY CHECK (seq > 0),
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    actor_id        bigint,
    actor_role      text,
    action          text NOT NULL,
    entity          text NOT NULL,
    entity_id       text NOT NULL,
    -- The proposal and kecamatan the change concerns, for a proposal's history.
    proposal_id     bigint,
    kecamatan_kode  text COLLATE "C",
    before          jsonb,
    after           jsonb,
    request_id      text,
    prev_hash       text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    row_hash        text NOT NULL CHECK (row_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_event_proposal_idx ON audit_event (proposal_id, seq) WHERE proposal_id IS NOT NULL;
CREATE INDEX audit_event_entity_idx ON audit_event (entity, entity_id);

-- The digest of a row: SHA-256 over the previous row's hash and every field but row_hash, each
-- quoted (so NULL and '' differ) and the time in UTC (so the session's time zone does not matter).
CREATE FUNCTION audit_digest(e audit_event) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws('|',
        e.prev_hash,
        e.seq::text,
        to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        quote_nullable(e.actor),
        quote_nullable(e.actor_id::text),
        quote_nullable(e.actor_role),
        quote_nullable(e.action),
        quote_nullable(e.entity),
        quote_nullable(e.entity_id),
        quote_nullable(e.proposal_id::text),
        quote_nullable(e.kecamatan_kode::text),
        quote_nullable(e.before::text),
        quote_nullable(e.after::text),
        quote_nullable(e.request_id)
    ), 'UTF8')), 'hex')
$$;

-- Appends one row per element of the arrays (index-aligned), chained in order, and returns the
-- chain's head after them (seq and hash). Appends are serialised by a transaction-scoped lock, so
-- the chain is the commit order; callers append last, just before they commit.
CREATE FUNCTION audit_append(
    p_actor text, p_actor_id bigint, p_actor_role text, p_action text, p_entity text,
    p_entity_ids text[], p_proposal_ids bigint[], p_kecamatan text[], p_before jsonb[],
    p_after jsonb[], p_request_id text,
    OUT head_seq bigint, OUT head_hash text
) LANGUAGE plpgsql AS $$
DECLARE
    e audit_event;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('tinjau-audit'));
    SELECT seq, row_hash INTO head_seq, head_hash FROM audit_event ORDER BY seq DESC LIMIT 1;
    IF head_seq IS NULL THEN
        head_seq := 0;
        head_hash := repeat('0', 64);
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_entity_ids, 1), 0) LOOP
        e.seq := head_seq + 1;
        e.at := clock_timestamp();
        e.actor := p_actor;
        e.actor_id := p_actor_id;
        e.actor_role := p_actor_role;
        e.action := p_action;
        e.entity := p_entity;
        e.entity_id := p_entity_ids[i];
        e.proposal_id := p_proposal_ids[i];
        e.kecamatan_kode := p_kecamatan[i];
        e.before := p_before[i];
        e.after := p_after[i];
        e.request_id := p_request_id;
        e.prev_hash := head_hash;
        e.row_hash := audit_digest(e);
        INSERT INTO audit_event VALUES (e.*);
        head_seq := e.seq;
        head_hash := e.row_hash;
    END LOOP;
END
$$;

-- The database itself refuses to change or remove what was appended.
CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM tinjau_app, PUBLIC;

-- Kirim: a kecamatan's list for a year sent up to the city forum. While a row is not reopened the
-- list is locked; its snapshot is what the forms are made from, so they never change afterwards.
CREATE TABLE kirim (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kecamatan_kode    text COLLATE "C" NOT NULL REFERENCES wilayah (kode),
    tahun             integer NOT NULL CHECK (tahun BETWEEN 2000 AND 2100),
    sent_at           timestamptz NOT NULL DEFAULT now(),
    sent_by           bigint REFERENCES app_user (id),
    sent_by_name      text NOT NULL,
    snapshot          jsonb NOT NULL,
    snapshot_sha256   text NOT NULL,
    -- The audit chain's head once the Kirim was recorded: printed on the Berita Acara.
    audit_seq         bigint NOT NULL,
    audit_hash        text NOT NULL,
    reopened_at       timestamptz,
    reopened_by_name  text,
    reopen_reason     text,
    CHECK ((reopened_at IS NULL) = (reopen_reason IS NULL))
);
-- At most one standing Kirim per kecamatan and year: of two sent at once, one wins.
CREATE UNIQUE INDEX kirim_standing_idx ON kirim (kecamatan_kode, tahun) WHERE reopened_at IS NULL;
