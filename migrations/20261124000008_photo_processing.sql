-- Photos are acknowledged once their bytes are durable and their EXIF and size are read; decoding,
-- the thumbnail and the perceptual hash follow in a background worker. processed_at marks that
-- step done; the rows still without it are the worker's queue (it survives a restart).
ALTER TABLE survey_photo
    ADD COLUMN processed_at timestamptz,
    -- Why the pixels could not be decoded, if so (the photo is kept and flagged).
    ADD COLUMN decode_error text;
UPDATE survey_photo SET processed_at = received_at WHERE received_at IS NOT NULL;
CREATE INDEX survey_photo_unprocessed_idx ON survey_photo (received_at)
    WHERE received_at IS NOT NULL AND processed_at IS NULL;
