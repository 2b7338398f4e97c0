-- Bulletins a county can publish (M1.1, M3.5): a period (week, month,
-- quarter, half-year, year) and an issue number (第N期) per county, kind,
-- period and year; at issue the rendered files are stored as locked objects
-- with their SHA-256, and the figures computed then are kept, so that an
-- issued bulletin is served as issued and `tuijin bulletin verify` can
-- recompute it. Files and figures are insert-only for the application.

ALTER TABLE bulletins ADD COLUMN period text NOT NULL DEFAULT 'week'
  CHECK (period IN ('week','month','quarter','half','year'));
ALTER TABLE bulletins ADD COLUMN period_start date;
ALTER TABLE bulletins ADD COLUMN period_end date;
ALTER TABLE bulletins ADD COLUMN issue_no integer CHECK (issue_no >= 1);
ALTER TABLE bulletins ALTER COLUMN week_start DROP NOT NULL;
ALTER TABLE bulletins ADD CONSTRAINT bulletins_county_id_id_key UNIQUE (county_id, id);

-- Bulletins issued before: weekly ones. Their issue numbers run per kind
-- and year (the year of the week's Sunday), in the order of their weeks.
DO $$
DECLARE c uuid;
BEGIN
  FOR c IN SELECT id FROM counties LOOP
    PERFORM set_config('app.county_id', c::text, true);
    UPDATE bulletins b SET period_start = b.week_start, period_end = b.week_start + 6, issue_no = n.no
    FROM (SELECT kind, week_start,
            dense_rank() OVER (PARTITION BY kind, extract(year FROM week_start + 6) ORDER BY week_start)::int AS no
          FROM bulletins GROUP BY kind, week_start) n
    WHERE n.kind = b.kind AND n.week_start = b.week_start;
  END LOOP;
  PERFORM set_config('app.county_id', '', true);
END $$;

ALTER TABLE bulletins ALTER COLUMN period_start SET NOT NULL;
ALTER TABLE bulletins ALTER COLUMN period_end SET NOT NULL;
ALTER TABLE bulletins ALTER COLUMN issue_no SET NOT NULL;
ALTER TABLE bulletins DROP CONSTRAINT bulletins_county_id_kind_week_start_version_key;
ALTER TABLE bulletins ADD CONSTRAINT bulletins_period_version UNIQUE (county_id, kind, period, period_start, version);
ALTER TABLE bulletins ADD CONSTRAINT bulletins_period_days CHECK (period_end >= period_start);
ALTER TABLE bulletins ADD CONSTRAINT bulletins_week CHECK ((period = 'week') = (week_start IS NOT NULL));

-- Each rendering of an issued version, stored as an object (locked like a
-- letter's scan) with its hash. after_issue marks files produced from the
-- stored inputs for a bulletin issued before files were kept.
CREATE TABLE bulletin_files (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  bulletin_id uuid NOT NULL,
  format      text NOT NULL CHECK (format IN ('html','xlsx','pdf')),
  object_key  text NOT NULL,
  version_id  text NOT NULL DEFAULT '',
  sha256      bytea NOT NULL CHECK (length(sha256) = 32),
  size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
  after_issue boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (bulletin_id, format),
  FOREIGN KEY (county_id, bulletin_id) REFERENCES bulletins (county_id, id)
);

-- The figures computed when the version was issued (or, for one issued
-- before, when its files were produced).
CREATE TABLE bulletin_figures (
  bulletin_id uuid PRIMARY KEY,
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  figures     jsonb NOT NULL,
  after_issue boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (county_id, bulletin_id) REFERENCES bulletins (county_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['bulletin_files','bulletin_figures'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
