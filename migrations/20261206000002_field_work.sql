-- The work of the technical team, as the camat directs it: who surveys what, a survey sent back for
-- another visit, a survey voided because it was filed against the wrong proposal.

-- A surveyor may belong to a team (a name the kecamatan gives it); proposals go to a surveyor or a team.
ALTER TABLE app_user ADD COLUMN team text CHECK (team IS NULL OR length(team) BETWEEN 1 AND 64);

CREATE TABLE assignment (
    proposal_id       bigint PRIMARY KEY REFERENCES proposal (id),
    surveyor_id       bigint REFERENCES app_user (id),
    team              text CHECK (team IS NULL OR length(team) BETWEEN 1 AND 64),
    assigned_by_name  text NOT NULL,
    assigned_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((surveyor_id IS NULL) <> (team IS NULL))
);
CREATE INDEX assignment_surveyor_idx ON assignment (surveyor_id);
CREATE INDEX assignment_team_idx ON assignment (team);

-- A voided survey stays stored (and in the audit trail and history, its photos kept) but is no
-- longer evidence: it leaves the findings, the forms and the phone's "surveyed" state.
ALTER TABLE survey ADD COLUMN voided_at timestamptz;
ALTER TABLE survey ADD COLUMN voided_by_name text;
ALTER TABLE survey ADD COLUMN void_reason text;
ALTER TABLE survey ADD CONSTRAINT survey_void_complete
    CHECK ((voided_at IS NULL) = (void_reason IS NULL) AND (voided_at IS NULL) = (voided_by_name IS NULL));

-- The camat asks for another visit: the proposal goes back to the phones with the reason until a
-- new survey answers it (that survey supersedes the one sent back).
CREATE TABLE resurvey (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id        bigint NOT NULL REFERENCES proposal (id),
    -- The survey sent back (the latest standing one when asked).
    survey_id          uuid NOT NULL REFERENCES survey (id),
    reason             text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    requested_by_name  text NOT NULL,
    requested_at       timestamptz NOT NULL DEFAULT now(),
    answered_by        uuid REFERENCES survey (id),
    answered_at        timestamptz
);
-- One open request per proposal, and a survey is sent back once.
CREATE UNIQUE INDEX resurvey_open_idx ON resurvey (proposal_id) WHERE answered_by IS NULL;
CREATE UNIQUE INDEX resurvey_survey_idx ON resurvey (survey_id);
