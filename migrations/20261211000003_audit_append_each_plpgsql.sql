-- audit_append_each in PL/pgSQL, the same statement inside: a SQL function that cannot be inlined (it
-- is SECURITY DEFINER) has its body parsed and planned again at every call, which was once per batch
-- of surveys, while PL/pgSQL keeps the plan for the session (issue 29's ingest).
CREATE OR REPLACE FUNCTION audit_append_each(
    p_actors text[], p_actor_ids bigint[], p_actor_roles text[], p_action text, p_entity text,
    p_entity_ids text[], p_proposal_ids bigint[], p_kecamatan text[], p_after jsonb[],
    p_request_ids text[]
) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
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
END
$$;
