-- A survey makes the decisions taken before it stale, so it moves its proposal's version; but once
-- the proposal has a survey that stands, another survey no longer changes what the phones are shown
-- (the proposal left their list with the first). The batch then moves only the version and leaves
-- updated_at, and with it the sync cursor, where they were:
-- - phones no longer download a proposal again (as removed) for every further survey of it;
-- - the update changes no indexed column, so PostgreSQL makes it in place (a HOT update) instead
--   of adding an entry for the new row version to each of the proposal's seven indexes, under
--   every batch (issue 29's ingest).
-- Every other update moves the cursor as before: the trigger skips only an update that moves the
-- version and leaves updated_at alone, which only survey_store_many makes. (survey_store, the
-- one-at-a-time path that also answers requests for another visit, still moves both.)
DROP TRIGGER proposal_bump_change_seq ON proposal;
CREATE TRIGGER proposal_bump_change_seq BEFORE UPDATE ON proposal
    FOR EACH ROW
    WHEN (NEW.version = OLD.version OR NEW.updated_at IS DISTINCT FROM OLD.updated_at)
    EXECUTE FUNCTION proposal_bump_change_seq();
-- Room on each page for a row's next version, which an update in place needs.
ALTER TABLE proposal SET (fillfactor = 90);

CREATE OR REPLACE FUNCTION survey_store_many(
    p_ids uuid[], p_proposal_ids bigint[], p_surveyor_ids bigint[], p_bodies jsonb[],
    p_body_sha256 text[], p_captured_at timestamptz[], p_lon double precision[],
    p_lat double precision[], p_accuracy_m double precision[], p_supersedes uuid[],
    p_photo_survey uuid[], p_photo_sha256 text[], p_photo_bytes bigint[],
    p_photo_content_type text[], p_photo_caption text[],
    p_anomaly_survey uuid[], p_anomaly_proposal bigint[], p_anomaly_code text[],
    p_anomaly_severity text[], p_anomaly_message_id text[], p_anomaly_message_en text[],
    p_anomaly_details jsonb[],
    p_actors text[], p_actor_ids bigint[], p_actor_roles text[], p_kecamatan text[],
    p_request_ids text[]
) RETURNS TABLE (id uuid, received_at timestamptz, alone boolean) LANGUAGE plpgsql
-- Other work locks several proposals in its own order (a Kirim, an import, an assignment): a batch
-- that waits this long gives up first, and its surveys are stored one at a time, each with the
-- one proposal survey_store locks, so that the other work is never the one a deadlock aborts.
SET lock_timeout = '500ms'
AS $$
#variable_conflict use_column
DECLARE
    v_new uuid[];
    v_held bigint[];
    v_unsurveyed bigint[];
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(p_supersedes) s WHERE s IS NOT NULL) THEN
        RETURN;
    END IF;
    -- In one order, so that two batches never wait for each other's proposals in a circle.
    PERFORM 1 FROM proposal p WHERE p.id = ANY (p_proposal_ids) ORDER BY p.id FOR NO KEY UPDATE;
    -- After the locks: a camat's send-back holds its proposal until it commits, so a request for
    -- another visit is either seen here or made after this batch. The surveys of a proposal with
    -- one are left to survey_store, one at a time (it answers the request and replaces the survey
    -- sent back); the rest of the batch is stored.
    SELECT coalesce(array_agg(r.proposal_id), '{}') INTO v_held
      FROM resurvey r
     WHERE r.proposal_id = ANY (p_proposal_ids) AND r.answered_by IS NULL;
    -- The proposals still waiting for a survey that stands (under the locks, so no other survey or
    -- void of theirs lands in between): this batch takes them off the phones' list.
    -- One index probe for each (a subquery with LIMIT: as NOT EXISTS, the planner's generic plan
    -- joined the whole survey table, a third of the batch's time).
    SELECT coalesce(array_agg(u.id), '{}') INTO v_unsurveyed
      FROM (SELECT DISTINCT id FROM unnest(p_proposal_ids) AS id) AS u(id)
     WHERE (SELECT s.id FROM survey s
             WHERE s.proposal_id = u.id AND s.voided_at IS NULL LIMIT 1) IS NULL;

    WITH stored AS (
        INSERT INTO survey AS s (id, proposal_id, surveyor_id, body, body_sha256, captured_at,
                                 fix, accuracy_m)
        SELECT u.id, u.proposal_id, u.surveyor_id, u.body, u.body_sha256, u.captured_at,
               ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.accuracy_m
          FROM unnest(p_ids, p_proposal_ids, p_surveyor_ids, p_bodies, p_body_sha256,
                      p_captured_at, p_lon, p_lat, p_accuracy_m)
               AS u(id, proposal_id, surveyor_id, body, body_sha256, captured_at, lon, lat,
                    accuracy_m)
         WHERE u.proposal_id <> ALL (v_held)
        ON CONFLICT ON CONSTRAINT survey_pkey DO NOTHING
        RETURNING s.id
    )
    SELECT coalesce(array_agg(stored.id), '{}') INTO v_new FROM stored;

    IF cardinality(v_new) > 0 THEN
        INSERT INTO survey_photo (survey_id, sha256, bytes, content_type, caption)
        SELECT * FROM unnest(p_photo_survey, p_photo_sha256, p_photo_bytes, p_photo_content_type,
                             p_photo_caption) AS ph(survey_id, sha256, bytes, content_type, caption)
         WHERE ph.survey_id = ANY (v_new);
        -- updated_at (and with it the sync cursor) only where the phones' list changes.
        UPDATE proposal p
           SET version = p.version + c.surveys,
               updated_at = CASE WHEN p.id = ANY (v_unsurveyed) THEN now() ELSE p.updated_at END
          FROM (SELECT u.proposal_id, count(*) AS surveys
                  FROM unnest(p_ids, p_proposal_ids) AS u(id, proposal_id)
                 WHERE u.id = ANY (v_new) GROUP BY u.proposal_id) c
         WHERE p.id = c.proposal_id;
        INSERT INTO anomaly (proposal_id, survey_id, code, severity, message_id, message_en,
                             details)
        SELECT a.proposal_id, a.survey_id, a.code, a.severity, a.message_id, a.message_en,
               a.details
          FROM unnest(p_anomaly_survey, p_anomaly_proposal, p_anomaly_code, p_anomaly_severity,
                      p_anomaly_message_id, p_anomaly_message_en, p_anomaly_details)
               AS a(survey_id, proposal_id, code, severity, message_id, message_en, details)
         WHERE a.survey_id = ANY (v_new);
        PERFORM audit_append_each(
            array_agg(u.actor), array_agg(u.actor_id), array_agg(u.actor_role), 'survey.store',
            'survey', array_agg(u.id::text), array_agg(u.proposal_id), array_agg(u.kecamatan),
            array_agg(jsonb_build_object('record', u.body, 'body_sha256', u.body_sha256)),
            array_agg(u.request_id))
          FROM unnest(p_ids, p_proposal_ids, p_bodies, p_body_sha256, p_actors, p_actor_ids,
                      p_actor_roles, p_kecamatan, p_request_ids)
               AS u(id, proposal_id, body, body_sha256, actor, actor_id, actor_role, kecamatan,
                    request_id)
         WHERE u.id = ANY (v_new);
    END IF;

    -- A new survey's received_at is its transaction's time, as the column's default gives it.
    RETURN QUERY
    SELECT u.id, CASE WHEN u.id = ANY (v_new) THEN now() END, u.proposal_id = ANY (v_held)
      FROM unnest(p_ids, p_proposal_ids) WITH ORDINALITY AS u(id, proposal_id, n)
     ORDER BY u.n;
END
$$;
