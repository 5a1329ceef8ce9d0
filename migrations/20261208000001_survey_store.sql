-- A survey stored in one statement. The server reads what the checks need, runs them, then sends
-- the survey, its declared photos, its findings and its audit entry here at once: one round trip
-- that commits, where a transaction of its own took ten (issue 29's ingest). Everything the
-- server does not compute is decided here, under the same locks as before:
-- * a survey of a proposal the camat sent back answers the open request (locked), and replaces the
--   survey sent back unless the phone named another one, or another survey already replaced it;
-- * the same UUID again stores nothing and returns NULL (the server answers a repeat or a conflict);
-- * the replaced survey's findings no longer stand; the proposal's sync cursor moves on.
-- The audit entry's `after` is the record and its hash, as the server built it before.
CREATE FUNCTION survey_store(
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
