-- The monthly review (月点评) of a closed observation, frozen at issue like
-- bulletins and minutes: the review as issued (its whole input), an issue
-- number per county and year (a correction keeps it and needs a reason),
-- and its page, workbook and PDF stored as locked objects with their
-- SHA-256. Insert-only for the application.

CREATE TABLE observation_reviews (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  event_id    uuid NOT NULL,
  year        integer NOT NULL,
  issue_no    integer NOT NULL CHECK (issue_no >= 1),
  version     integer NOT NULL CHECK (version >= 1),
  reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
  content     jsonb NOT NULL,
  output_hash bytea NOT NULL CHECK (length(output_hash) = 32),
  issued_by   uuid NOT NULL REFERENCES accounts(id),
  issued_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, version),
  UNIQUE (county_id, id),
  CHECK (version = 1 OR reason <> ''),
  FOREIGN KEY (county_id, event_id) REFERENCES observation_events (county_id, id)
);

CREATE TABLE observation_review_files (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  review_id   uuid NOT NULL,
  format      text NOT NULL CHECK (format IN ('html','xlsx','pdf')),
  object_key  text NOT NULL,
  version_id  text NOT NULL DEFAULT '',
  sha256      bytea NOT NULL CHECK (length(sha256) = 32),
  size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (review_id, format),
  FOREIGN KEY (county_id, review_id) REFERENCES observation_reviews (county_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['observation_reviews','observation_review_files'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
