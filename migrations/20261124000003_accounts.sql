-- Accounts with a role and a wilayah scope, and device tokens for phones.

CREATE TABLE app_user (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._@-]{2,64}$'),
    role          text NOT NULL CHECK (role IN ('admin', 'camat', 'surveyor', 'lurah', 'opd')),
    -- camat and surveyor: a kecamatan; lurah: a kelurahan; opd: a kota or provinsi (NULL: the whole
    -- city-wide planning desk); admin: NULL (everything).
    wilayah_kode  text COLLATE "C" REFERENCES wilayah (kode),
    -- argon2id PHC string; NULL for accounts that only use device tokens.
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz,
    CHECK (role IN ('admin', 'opd') OR wilayah_kode IS NOT NULL),
    CHECK (role <> 'admin' OR wilayah_kode IS NULL)
);

-- Long-lived bearer tokens for phones. Only a SHA-256 of the token is stored.
CREATE TABLE device_token (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    token_sha256  text NOT NULL UNIQUE,
    label         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX device_token_user_idx ON device_token (user_id);
