-- The office's requests to compute an assessment (M5): the worker gathers
-- the period's snapshot in one consistent read, stores it as a locked
-- object and writes the version; the request says when it is done (and
-- which version it made) or why it failed. One request per period waits
-- at a time: a second press of the button finds the first.
CREATE TABLE assessment_runs (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id     uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  period        text NOT NULL CHECK (period IN ('half','year')),
  period_start  date NOT NULL,
  period_end    date NOT NULL,
  reason        text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
  requested_by  uuid NOT NULL REFERENCES accounts(id),
  requested_at  timestamptz NOT NULL DEFAULT now(),
  status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','done','failed')),
  assessment_id uuid,
  error_zh      text NOT NULL DEFAULT '',
  error_en      text NOT NULL DEFAULT '',
  finished_at   timestamptz,
  UNIQUE (county_id, id),
  FOREIGN KEY (county_id, assessment_id) REFERENCES assessments (county_id, id),
  CHECK ((status = 'queued') = (finished_at IS NULL)),
  CHECK (status <> 'done' OR assessment_id IS NOT NULL)
);
CREATE UNIQUE INDEX assessment_runs_one_queued ON assessment_runs (county_id, period, period_start) WHERE status = 'queued';
CREATE INDEX assessment_runs_period ON assessment_runs (county_id, period, period_start, requested_at DESC);

ALTER TABLE assessment_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE assessment_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON assessment_runs USING (county_id = app_county()) WITH CHECK (county_id = app_county());
