-- The notice publishing an approved assessment (考核结果通报), frozen at
-- issue like bulletins: the notice as issued, a number per county and year
-- (a re-issue keeps it and needs a reason), its page, workbook and PDF as
-- locked objects with their SHA-256. Insert-only for the application.

CREATE TABLE assessment_notices (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id     uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  assessment_id uuid NOT NULL,
  year          integer NOT NULL,
  issue_no      integer NOT NULL CHECK (issue_no >= 1),
  version       integer NOT NULL CHECK (version >= 1),
  reason        text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
  content       jsonb NOT NULL,
  output_hash   bytea NOT NULL CHECK (length(output_hash) = 32),
  issued_by     uuid NOT NULL REFERENCES accounts(id),
  issued_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (assessment_id, version),
  UNIQUE (county_id, id),
  CHECK (version = 1 OR reason <> ''),
  FOREIGN KEY (county_id, assessment_id) REFERENCES assessments (county_id, id)
);

CREATE TABLE assessment_notice_files (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  notice_id   uuid NOT NULL,
  format      text NOT NULL CHECK (format IN ('html','xlsx','pdf')),
  object_key  text NOT NULL,
  version_id  text NOT NULL DEFAULT '',
  sha256      bytea NOT NULL CHECK (length(sha256) = 32),
  size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
  UNIQUE (notice_id, format),
  FOREIGN KEY (county_id, notice_id) REFERENCES assessment_notices (county_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['assessment_notices','assessment_notice_files'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
