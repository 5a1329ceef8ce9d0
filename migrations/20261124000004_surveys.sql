-- Survey records from the phones, idempotent by the client's UUID, with their declared photos.
CREATE TABLE survey (
    id            uuid PRIMARY KEY,
    proposal_id   bigint NOT NULL REFERENCES proposal (id),
    surveyor_id   bigint REFERENCES app_user (id),
    -- The record as received (canonical JSON) and its SHA-256: a repeat must match it exactly.
    body          jsonb NOT NULL,
    body_sha256   text NOT NULL,
    captured_at   timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    fix           geometry(Point, 4326) NOT NULL,
    accuracy_m    double precision NOT NULL CHECK (accuracy_m >= 0),
    -- A correction names the survey it replaces; each survey is replaced at most once.
    supersedes    uuid UNIQUE REFERENCES survey (id)
);
CREATE INDEX survey_proposal_idx ON survey (proposal_id);
CREATE INDEX survey_surveyor_idx ON survey (surveyor_id, captured_at);

-- The photos a survey declares; received_at is set once the bytes are stored.
CREATE TABLE survey_photo (
    survey_id     uuid NOT NULL REFERENCES survey (id) ON DELETE CASCADE,
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes         bigint NOT NULL CHECK (bytes > 0),
    content_type  text NOT NULL,
    caption       text,
    received_at   timestamptz,
    PRIMARY KEY (survey_id, sha256)
);
