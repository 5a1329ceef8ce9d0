-- A survey's neighbouring visits are the surveyor's latest before it and earliest after it, in
-- (captured_at, id) order (arrival_contexts). On (surveyor_id, captured_at) alone the database
-- read every visit of the surveyor's day (up to a day either way) and sorted them for each survey,
-- a cost that grew with the day's surveys (the writer's batched read was a quarter of its time
-- under the ingest bench). With id in the index the first entry in index order is the answer.
CREATE INDEX survey_surveyor_time_idx ON survey (surveyor_id, captured_at, id);
DROP INDEX survey_surveyor_idx;
