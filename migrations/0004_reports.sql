-- Weekly reports (issue 6; M2.3, M3.4): one per project per week (Monday to
-- Sunday, Asia/Shanghai), with the substantive-progress determination and
-- the review flow. Each verified state is kept as a revision.

CREATE TABLE weekly_reports (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id             uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id            uuid NOT NULL,
  week_start            date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
  status                text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','submitted','confirmed','verified','returned')),
  revision              integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
  image_progress        text NOT NULL DEFAULT '',
  image_percent         integer NOT NULL DEFAULT 0 CHECK (image_percent BETWEEN 0 AND 100),
  nodes_reached         text[] NOT NULL DEFAULT '{}',
  investment_yuan       bigint NOT NULL DEFAULT 0 CHECK (investment_yuan >= 0),
  workers               integer NOT NULL DEFAULT 0 CHECK (workers >= 0),
  machines              integer NOT NULL DEFAULT 0 CHECK (machines >= 0),
  problems              text NOT NULL DEFAULT '',
  rule_progress         boolean,
  rule_reasons          text[] NOT NULL DEFAULT '{}',
  override_progress     boolean,
  override_reason       text NOT NULL DEFAULT '',
  override_by           uuid,
  late                  boolean NOT NULL DEFAULT false,
  drafted_by            uuid,
  submitted_at          timestamptz,
  submitted_by          uuid,
  confirmed_at          timestamptz,
  confirmed_by          uuid,
  verified_at           timestamptz,
  verified_by           uuid,
  return_comment        text NOT NULL DEFAULT '',
  version               integer NOT NULL DEFAULT 1,
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, week_start), UNIQUE (county_id, id),
  CHECK (override_progress IS NULL OR override_reason <> ''),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE
);
CREATE INDEX weekly_reports_week ON weekly_reports (county_id, week_start);

CREATE TABLE weekly_report_revisions (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  report_id  uuid NOT NULL,
  revision   integer NOT NULL,
  snapshot   jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (report_id, revision),
  FOREIGN KEY (county_id, report_id) REFERENCES weekly_reports (county_id, id) ON DELETE CASCADE
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['weekly_reports','weekly_report_revisions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
