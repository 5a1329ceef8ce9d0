-- The audit trail takes rows only through audit_append(), which runs as the owner of the table:
-- the application's role may call it but cannot INSERT a row of its own making (a forged row with
-- a valid hash would otherwise pass `tinjau audit verify`).
ALTER FUNCTION audit_append(text, bigint, text, text, text, text[], bigint[], text[], jsonb[], jsonb[], text)
    SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE INSERT ON audit_event FROM tinjau_app, PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_append(text, bigint, text, text, text, text[], bigint[], text[], jsonb[], jsonb[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(text, bigint, text, text, text, text[], bigint[], text[], jsonb[], jsonb[], text) TO tinjau_app;
