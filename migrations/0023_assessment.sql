-- The half-year and year-end assessment (M1.7, M1.8, M5): each version is
-- computed from a frozen snapshot of its inputs — kept as a locked object
-- and in the row, with its SHA-256 — and stores its result as canonical
-- JSON with its hash. The office may adjust a component with a reason
-- before approval (a new snapshot, computed again); the leading group
-- approves, after which the version is final and never changes; a
-- correction is a new version with a reason. `tuijin assessment verify`
-- recomputes every version from its snapshot.

-- M4.1: when a letter's commitment was kept.
ALTER TABLE letter_items ADD COLUMN kept_on date;

CREATE TABLE assessments (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id           uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  period              text NOT NULL CHECK (period IN ('half','year')),
  period_start        date NOT NULL,
  period_end          date NOT NULL,
  version             integer NOT NULL CHECK (version >= 1),
  status              text NOT NULL DEFAULT 'computed' CHECK (status IN ('computed','approved')),
  reason              text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
  snapshot            jsonb NOT NULL,
  snapshot_sha256     bytea NOT NULL CHECK (length(snapshot_sha256) = 32),
  snapshot_key        text NOT NULL,
  snapshot_version_id text NOT NULL DEFAULT '',
  result              text NOT NULL,   -- canonical JSON, byte for byte
  result_sha256       bytea NOT NULL CHECK (length(result_sha256) = 32),
  computed_by         uuid NOT NULL REFERENCES accounts(id),
  computed_at         timestamptz NOT NULL,
  adjusted_by         uuid REFERENCES accounts(id),
  approved_by         uuid REFERENCES accounts(id),
  approved_at         timestamptz,
  UNIQUE (county_id, period, period_start, version),
  UNIQUE (county_id, id),
  CHECK (version = 1 OR reason <> ''),
  CHECK ((status = 'approved') = (approved_at IS NOT NULL))
);

-- An approved version is final: nothing in it changes again.
CREATE FUNCTION assessments_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'approved' THEN
    RAISE EXCEPTION 'assessment % is final', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER assessments_final BEFORE UPDATE OR DELETE ON assessments FOR EACH ROW EXECUTE FUNCTION assessments_final();

ALTER TABLE assessments ENABLE ROW LEVEL SECURITY;
ALTER TABLE assessments FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON assessments USING (county_id = app_county()) WITH CHECK (county_id = app_county());
