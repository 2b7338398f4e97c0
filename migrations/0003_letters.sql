-- Letters (M4.1): a target responsibility letter per responsible unit and a
-- service guarantee commitment letter per service unit, per year, with their
-- commitments as structured items and the signed scans kept in object
-- storage under object lock. A replaced scan is a new version; none is lost.

CREATE TABLE letters (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  year       integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  kind       text NOT NULL CHECK (kind IN ('responsibility','service')),
  unit_id    uuid NOT NULL,
  title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  signed_on  date,
  version    integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, year, kind, unit_id), UNIQUE (county_id, id),
  FOREIGN KEY (county_id, unit_id) REFERENCES units (county_id, id)
);

CREATE TABLE letter_items (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  letter_id   uuid NOT NULL,
  seq         integer NOT NULL CHECK (seq >= 1),
  content     text NOT NULL CHECK (length(content) BETWEEN 1 AND 1000),
  due_date    date,
  project_ids uuid[] NOT NULL DEFAULT '{}',
  UNIQUE (letter_id, seq),
  FOREIGN KEY (county_id, letter_id) REFERENCES letters (county_id, id) ON DELETE CASCADE
);

CREATE TABLE letter_scans (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id    uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  letter_id    uuid NOT NULL,
  version      integer NOT NULL CHECK (version >= 1),
  object_key   text NOT NULL,
  version_id   text NOT NULL DEFAULT '',
  sha256       bytea NOT NULL CHECK (length(sha256) = 32),
  size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
  content_type text NOT NULL,
  file_name    text NOT NULL DEFAULT '',
  retain_until timestamptz NOT NULL,
  uploaded_by  uuid,
  uploaded_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (letter_id, version),
  FOREIGN KEY (county_id, letter_id) REFERENCES letters (county_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['letters','letter_items','letter_scans'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
