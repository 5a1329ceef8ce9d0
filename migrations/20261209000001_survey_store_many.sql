-- Surveys arriving together are stored together: the server gathers the surveys that arrive while
-- the previous batch commits and stores them here in one transaction, with one statement per table
-- instead of one per table per survey (issue 29's ingest: per-statement work in survey_store was
-- half the database's time). Each survey is stored exactly as survey_store would store it alone.
--
-- The cases survey_store decides one by one stay there: a batch in which a survey corrects another
-- is refused here (no rows returned, nothing stored) and the server stores its surveys one at a
-- time; the surveys of a proposal with an open request for another visit are left out (`alone`)
-- and the server stores them one at a time after the batch. Ids must be distinct.
--
-- Returns one row per survey: its received time, or NULL when the id was stored before or the
-- survey is left to be stored alone.

-- An entry's digest formats its time with to_char, which is STABLE: declared IMMUTABLE, the function
-- could not be inlined, and each call planned and ran a query of its own (7% of the two cores
-- under the ingest bench). The digest is the same; only where it is computed changes.
ALTER FUNCTION audit_digest(audit_event) STABLE;

-- The audit entries of several actors' changes, one per element (index-aligned).
CREATE FUNCTION audit_append_each(
    p_actors text[], p_actor_ids bigint[], p_actor_roles text[], p_action text, p_entity text,
    p_entity_ids text[], p_proposal_ids bigint[], p_kecamatan text[], p_after jsonb[],
    p_request_ids text[]
) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH entry AS (
        SELECT ROW(nextval('audit_event_seq'), clock_timestamp(), u.actor, u.actor_id,
                   u.actor_role, p_action, p_entity, u.entity_id, u.proposal_id, u.kecamatan,
                   NULL::jsonb, u.after, u.request_id, repeat('0', 64), NULL)::audit_event AS e
          FROM unnest(p_actors, p_actor_ids, p_actor_roles, p_entity_ids, p_proposal_ids,
                      p_kecamatan, p_after, p_request_ids)
               AS u(actor, actor_id, actor_role, entity_id, proposal_id, kecamatan, after,
                    request_id)
    ), appended AS (
        INSERT INTO audit_event (seq, at, actor, actor_id, actor_role, action, entity, entity_id,
                                 proposal_id, kecamatan_kode, before, after, request_id,
                                 prev_hash, row_hash)
        SELECT (e).seq, (e).at, (e).actor, (e).actor_id, (e).actor_role, (e).action, (e).entity,
               (e).entity_id, (e).proposal_id, (e).kecamatan_kode, (e).before, (e).after,
               (e).request_id, (e).prev_hash, audit_digest(e)
          FROM entry
        RETURNING seq
    )
    INSERT INTO audit_pending (seq) SELECT seq FROM appended;
$$;
REVOKE EXECUTE ON FUNCTION audit_append_each(text[], bigint[], text[], text, text, text[], bigint[], text[], jsonb[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append_each(text[], bigint[], text[], text, text, text[], bigint[], text[], jsonb[], text[]) TO tinjau_app;

CREATE FUNCTION survey_store_many(
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
        UPDATE proposal p SET updated_at = now(), version = p.version + c.surveys
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

-- survey_store as before, taking its proposal's lock first (the same order as the batch).
CREATE OR REPLACE FUNCTION survey_store(
    p_id uuid, p_proposal_id bigint, p_surveyor_id bigint, p_body jsonb, p_body_sha256 text,
    p_captured_at timestamptz, p_lon double precision, p_lat double precision,
    p_accuracy_m double precision, p_supersedes uuid,
    p_photo_sha256 text[], p_photo_bytes bigint[], p_photo_content_type text[],
    p_photo_caption text[],
    p_anomaly_code text[], p_anomaly_severity text[], p_anomaly_message_id text[],
    p_anomaly_message_en text[], p_anomaly_details jsonb[],
    p_actor text, p_actor_id bigint, p_actor_role text, p_action text, p_entity text,
    p_kecamatan text, p_request_id text
) RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
    v_request bigint;
    v_sent_back uuid;
    v_replaces uuid := p_supersedes;
    v_received timestamptz;
BEGIN
    -- The survey this one may replace, then the proposal, in the order of the work that locks a
    -- survey and then touches its proposal (photo processing, a void, a re-check).
    PERFORM 1 FROM survey s
     WHERE s.id = coalesce(p_supersedes,
                           (SELECT r.survey_id FROM resurvey r
                             WHERE r.proposal_id = p_proposal_id AND r.answered_by IS NULL))
       FOR KEY SHARE;
    -- The proposal before the survey's id, as survey_store_many locks its proposals: a survey
    -- stored alone and a batch holding a retry of it would otherwise each wait for the other
    -- (one holding the proposal, the other the survey's id).
    PERFORM 1 FROM proposal p WHERE p.id = p_proposal_id FOR NO KEY UPDATE;
    SELECT r.id, r.survey_id INTO v_request, v_sent_back
      FROM resurvey r
     WHERE r.proposal_id = p_proposal_id AND r.answered_by IS NULL
       FOR UPDATE;
    IF v_replaces IS NULL AND v_sent_back IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM survey s WHERE s.supersedes = v_sent_back) THEN
        v_replaces := v_sent_back;
    END IF;

    INSERT INTO survey (id, proposal_id, surveyor_id, body, body_sha256, captured_at, fix,
                        accuracy_m, supersedes)
    VALUES (p_id, p_proposal_id, p_surveyor_id, p_body, p_body_sha256, p_captured_at,
            ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326), p_accuracy_m, v_replaces)
    ON CONFLICT (id) DO NOTHING
    RETURNING received_at INTO v_received;
    IF v_received IS NULL THEN
        RETURN NULL;
    END IF;

    IF cardinality(p_photo_sha256) > 0 THEN
        INSERT INTO survey_photo (survey_id, sha256, bytes, content_type, caption)
        SELECT p_id, * FROM unnest(p_photo_sha256, p_photo_bytes, p_photo_content_type,
                                   p_photo_caption);
    END IF;
    UPDATE proposal SET updated_at = now(), version = version + 1 WHERE id = p_proposal_id;
    IF v_request IS NOT NULL THEN
        UPDATE resurvey SET answered_by = p_id, answered_at = now()
         WHERE id = v_request AND answered_by IS NULL;
    END IF;
    IF v_replaces IS NOT NULL THEN
        DELETE FROM anomaly WHERE survey_id = v_replaces;
    END IF;
    IF cardinality(p_anomaly_code) > 0 THEN
        INSERT INTO anomaly (proposal_id, survey_id, code, severity, message_id, message_en, details)
        SELECT p_proposal_id, p_id, * FROM unnest(p_anomaly_code, p_anomaly_severity,
                                                  p_anomaly_message_id, p_anomaly_message_en,
                                                  p_anomaly_details);
    END IF;
    PERFORM audit_append(p_actor, p_actor_id, p_actor_role, p_action, p_entity,
                         ARRAY[p_id::text], ARRAY[p_proposal_id], ARRAY[p_kecamatan],
                         ARRAY[NULL::jsonb],
                         ARRAY[jsonb_build_object('record', p_body, 'body_sha256', p_body_sha256)],
                         p_request_id);
    RETURN v_received;
END
$$;
