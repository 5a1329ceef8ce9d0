-- What the server read from each received photo.
ALTER TABLE survey_photo
    ADD COLUMN exif        jsonb,
    -- Why the EXIF could not be read (the photo is kept and flagged).
    ADD COLUMN exif_error  text,
    ADD COLUMN width       integer,
    ADD COLUMN height      integer,
    -- 64-bit difference hash of the picture, for near-duplicate detection.
    ADD COLUMN phash       bigint,
    ADD COLUMN has_thumbnail boolean NOT NULL DEFAULT false;
CREATE INDEX survey_photo_sha256_idx ON survey_photo (sha256);
