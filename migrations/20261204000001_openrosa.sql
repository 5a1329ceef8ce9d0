-- Submissions from ODK Collect / KoboCollect (OpenRosa). A submission is keyed by its instanceID and
-- may arrive in several POSTs (Collect splits many photos across requests, each repeating the same
-- XML): the XML and every photo part are kept here as they arrive, and the survey is stored (with
-- the same id) once every photo the XML names is in.
CREATE TABLE openrosa_submission (
    instance_id     uuid PRIMARY KEY,
    surveyor_id     bigint REFERENCES app_user (id),
    kecamatan_kode  text NOT NULL,
    form_id         text NOT NULL,
    form_version    text,
    -- The XML as first received and its SHA-256: a re-post must repeat it byte for byte.
    xml             text NOT NULL,
    xml_sha256      text NOT NULL CHECK (xml_sha256 ~ '^[0-9a-f]{64}$'),
    deprecated_id   uuid,
    -- The photo file names the XML refers to.
    attachments_expected text[] NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- Set when the survey has been stored from it (its id is instance_id).
    survey_stored_at timestamptz
);

-- The photo parts received, by the file name the XML uses; the bytes are in the object store under
-- photos/{sha256}, already checked and read (inspection: EXIF, size in pixels).
CREATE TABLE openrosa_attachment (
    instance_id   uuid NOT NULL REFERENCES openrosa_submission (instance_id) ON DELETE CASCADE,
    filename      text NOT NULL,
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes         bigint NOT NULL CHECK (bytes > 0),
    content_type  text NOT NULL,
    inspection    jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_id, filename)
);
