-- The audit trail as a Merkle log (after Certificate Transparency, RFC 9162, and Trillian): an
-- append no longer takes a lock that every write in the city queues behind. Each change appends its
-- entries in its own transaction, numbered by a sequence, and queues them; a sequencer (one at a
-- time, in the server) takes the queue in batches, at most a second behind, appends the entries as
-- leaves of a Merkle tree and records a tree head (size, root, time) signed with the server's
-- Ed25519 key. `tinjau audit verify` recomputes every entry, leaf and head; an inclusion proof ties
-- an entry to a head, a consistency proof one head to a later one.
--
-- Entries appended before this migration keep their hash chain (prev_hash) and are verified as
-- before; they are queued here, so they become the tree's first leaves in their order.

CREATE SEQUENCE audit_event_seq AS bigint;
SELECT setval('audit_event_seq', coalesce((SELECT max(seq) FROM audit_event), 0) + 1, false);

-- Entries appended and not yet leaves: the sequencer's queue (it deletes what it integrated).
CREATE TABLE audit_pending (
    seq bigint PRIMARY KEY
);
INSERT INTO audit_pending (seq) SELECT seq FROM audit_event;

-- The tree's leaves in the order the sequencer integrated them; a leaf's hash is
-- SHA-256(0x00 || the entry's row_hash as 32 bytes).
CREATE TABLE audit_leaf (
    leaf_index  bigint PRIMARY KEY CHECK (leaf_index >= 0),
    seq         bigint NOT NULL UNIQUE,
    leaf_hash   text NOT NULL CHECK (leaf_hash ~ '^[0-9a-f]{64}$')
);

-- The keys tree heads are signed with (the public half; the private one stays on the servers).
CREATE TABLE audit_signing_key (
    key_id      text PRIMARY KEY,
    public_key  text NOT NULL UNIQUE CHECK (public_key ~ '^[0-9a-f]{64}$'),
    first_used  timestamptz NOT NULL DEFAULT now()
);

-- Signed tree heads: the tree of the first `tree_size` leaves has root `root_hash`; `frontier`
-- (its right edge) lets the next batch extend it without reading the leaves before.
CREATE TABLE audit_tree_head (
    tree_size   bigint PRIMARY KEY CHECK (tree_size > 0),
    root_hash   text NOT NULL CHECK (root_hash ~ '^[0-9a-f]{64}$'),
    at          timestamptz NOT NULL,
    frontier    text[] NOT NULL,
    key_id      text NOT NULL REFERENCES audit_signing_key (key_id),
    signature   text NOT NULL CHECK (signature ~ '^[0-9a-f]{128}$')
);

-- Leaves, heads and keys are append-only like the entries.
CREATE TRIGGER audit_leaf_append_only BEFORE UPDATE OR DELETE ON audit_leaf
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_leaf_no_truncate BEFORE TRUNCATE ON audit_leaf
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_tree_head_append_only BEFORE UPDATE OR DELETE ON audit_tree_head
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_tree_head_no_truncate BEFORE TRUNCATE ON audit_tree_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_signing_key_append_only BEFORE UPDATE OR DELETE ON audit_signing_key
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_leaf, audit_tree_head, audit_signing_key FROM tinjau_app, PUBLIC;
GRANT SELECT, INSERT ON audit_leaf, audit_tree_head, audit_signing_key TO tinjau_app;
GRANT SELECT, DELETE ON audit_pending TO tinjau_app;

-- Appends one entry per element of the arrays (index-aligned) and returns the last one's seq and
-- hash. No lock: concurrent appends get their numbers from the sequence and never wait for each
-- other; the order of the log is the order the sequencer integrates them in.
CREATE OR REPLACE FUNCTION audit_append(
    p_actor text, p_actor_id bigint, p_actor_role text, p_action text, p_entity text,
    p_entity_ids text[], p_proposal_ids bigint[], p_kecamatan text[], p_before jsonb[],
    p_after jsonb[], p_request_id text,
    OUT head_seq bigint, OUT head_hash text
) LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    e audit_event;
BEGIN
    head_seq := 0;
    head_hash := repeat('0', 64);
    FOR i IN 1 .. coalesce(array_length(p_entity_ids, 1), 0) LOOP
        e.seq := nextval('audit_event_seq');
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
        -- Entries are tied together by the tree now, not by a chain.
        e.prev_hash := repeat('0', 64);
        e.row_hash := audit_digest(e);
        INSERT INTO audit_event VALUES (e.*);
        INSERT INTO audit_pending (seq) VALUES (e.seq);
        head_seq := e.seq;
        head_hash := e.row_hash;
    END LOOP;
END
$$;
