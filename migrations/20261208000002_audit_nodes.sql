-- The Merkle tree's perfect subtrees above the leaves: node (level, node_index) is the root of the
-- 2^level leaves from leaf node_index·2^level on (RFC 9162 node hashes: SHA-256(0x01 || left || right)).
-- The sequencer stores each as the leaf that completes it is integrated, so an inclusion or
-- consistency proof reads about two per level of the tree instead of every leaf before the head.
CREATE TABLE audit_node (
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
    node_index  bigint NOT NULL CHECK (node_index >= 0),
    hash        text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (level, node_index)
);
CREATE TRIGGER audit_node_append_only BEFORE UPDATE OR DELETE ON audit_node
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();
CREATE TRIGGER audit_node_no_truncate BEFORE TRUNCATE ON audit_node
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_node FROM tinjau_app, PUBLIC;
GRANT SELECT, INSERT ON audit_node TO tinjau_app;

-- Stores every perfect subtree of the leaves integrated so far that is not stored yet, level by
-- level; returns how many it stored. Run once here for a log made before this table; the sequencer
-- keeps the table whole from then on, and `tinjau audit verify` checks it against the leaves.
CREATE FUNCTION audit_fill_nodes() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    lvl smallint := 0;
    added bigint;
    total bigint := 0;
BEGIN
    LOOP
        WITH below AS (
            SELECT leaf_index AS pos, leaf_hash AS hash FROM audit_leaf WHERE lvl = 0
            UNION ALL
            SELECT n.node_index, n.hash FROM audit_node n WHERE n.level = lvl
        )
        INSERT INTO audit_node (level, node_index, hash)
        SELECT lvl + 1, l.pos / 2,
               encode(sha256('\x01'::bytea || decode(l.hash, 'hex') || decode(r.hash, 'hex')), 'hex')
          FROM below l JOIN below r ON r.pos = l.pos + 1
         WHERE l.pos % 2 = 0
        ON CONFLICT (level, node_index) DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        total := total + added;
        -- A level with no pair has none above it.
        EXIT WHEN NOT EXISTS (SELECT 1 FROM audit_node n WHERE n.level = lvl + 1);
        lvl := lvl + 1;
    END LOOP;
    RETURN total;
END
$$;
SELECT audit_fill_nodes();
