-- A change counter on proposals, for the phones' incremental sync: every insert and update takes
-- the next value, so "changed since cursor N" is change_seq > N.
CREATE SEQUENCE proposal_change_seq;
ALTER TABLE proposal ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('proposal_change_seq');
CREATE INDEX proposal_change_seq_idx ON proposal (change_seq);

CREATE FUNCTION proposal_bump_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := nextval('proposal_change_seq');
    RETURN NEW;
END;
$$;
CREATE TRIGGER proposal_bump_change_seq BEFORE UPDATE ON proposal
    FOR EACH ROW EXECUTE FUNCTION proposal_bump_change_seq();
