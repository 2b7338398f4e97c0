-- Accountability (M5.7): the office's decision on each unit proposed for
-- referral to the discipline inspection commission (县纪委监委), with its
-- reason and the evidence as it stood.
CREATE TABLE accountability_decisions (
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  year       integer NOT NULL,
  unit_id    uuid NOT NULL,
  refer      boolean NOT NULL,
  evidence   text NOT NULL DEFAULT '' CHECK (length(evidence) <= 2000),
  reason     text NOT NULL CHECK (length(reason) BETWEEN 4 AND 1000),
  decided_by uuid NOT NULL REFERENCES accounts(id),
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (county_id, year, unit_id),
  FOREIGN KEY (county_id, unit_id) REFERENCES units (county_id, id)
);
ALTER TABLE accountability_decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE accountability_decisions FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON accountability_decisions USING (county_id = app_county()) WITH CHECK (county_id = app_county());
