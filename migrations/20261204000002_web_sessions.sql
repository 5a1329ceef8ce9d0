-- Sign-in to the web pages: server-side sessions (the cookie holds a random 256-bit id; only its
-- SHA-256 is stored), each with its own CSRF token, revoked on sign-out; and the run of wrong
-- passwords per login name, which delays the next attempt.
CREATE TABLE web_session (
    id_sha256   text PRIMARY KEY CHECK (id_sha256 ~ '^[0-9a-f]{64}$'),
    user_id     bigint NOT NULL REFERENCES app_user (id),
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX web_session_user_idx ON web_session (user_id);

CREATE TABLE sign_in_failure (
    name        text PRIMARY KEY,
    failures    integer NOT NULL CHECK (failures > 0),
    last_at     timestamptz NOT NULL
);
