-- Anomalies found by the survey checks belong to the proposal and name the survey they came from.
ALTER TABLE anomaly ADD COLUMN survey_id uuid REFERENCES survey (id) ON DELETE CASCADE;
CREATE INDEX anomaly_survey_idx ON anomaly (survey_id);
