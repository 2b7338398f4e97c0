-- Photos on a judge's observation sheet (M1.6): stored like site photos
-- (staged, locked, a display copy and a thumbnail by the worker) in the
-- same table, marked with the observation they were taken for. They are
-- the judges' evidence, not the unit's: the weekly report, its photo cap
-- and minimum, the meeting packs and the escalation evidence count only
-- photos without an observation.
ALTER TABLE photos ADD COLUMN observation_id uuid;
ALTER TABLE photos ADD CONSTRAINT photos_observation_fk
  FOREIGN KEY (county_id, observation_id) REFERENCES observation_events (county_id, id);
CREATE INDEX photos_observation ON photos (county_id, observation_id, project_id) WHERE observation_id IS NOT NULL;
