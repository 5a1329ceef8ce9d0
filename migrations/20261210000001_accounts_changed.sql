-- Servers keep the device tokens they accepted lately (workflows::accounts::token_cache) instead of
-- reading a request's token every time. Any change that can end or narrow what a token allows (a
-- token revoked, reassigned or deleted; an account disabled, renamed, given another role or area,
-- or deleted) tells every server to forget them, when it commits. A token's last use (written
-- at most once a minute per token) and an account's password or team do not.
CREATE FUNCTION accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tinjau_accounts', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER device_token_changed
    AFTER UPDATE OF user_id, token_sha256, revoked_at OR DELETE OR TRUNCATE ON device_token
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();

CREATE TRIGGER app_user_changed
    AFTER UPDATE OF name, role, wilayah_kode, disabled_at OR DELETE OR TRUNCATE ON app_user
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
