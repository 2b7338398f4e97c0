-- Site photos (issue 6; P5). The original is kept private and locked; a
-- re-encoded display copy and a thumbnail carry no EXIF. The capture time
-- and GPS read from EXIF are restricted fields. The same bytes uploaded again
-- (another week, another project) point at their first appearance.

CREATE TABLE photos (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id        uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id       uuid NOT NULL,
  week_start       date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
  sha256           bytea NOT NULL CHECK (length(sha256) = 32),
  size_bytes       bigint NOT NULL CHECK (size_bytes > 0),
  content_type     text NOT NULL CHECK (content_type IN ('image/jpeg','image/png')),
  width            integer NOT NULL,
  height           integer NOT NULL,
  taken_at         timestamptz,
  gps_lat          numeric(9,6),
  gps_lng          numeric(9,6),
  original_key     text NOT NULL,
  original_version text NOT NULL DEFAULT '',
  display_key      text NOT NULL,
  thumb_key        text NOT NULL,
  file_name        text NOT NULL DEFAULT '',
  duplicate_of     uuid,
  uploaded_by      uuid,
  uploaded_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, id),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, duplicate_of) REFERENCES photos (county_id, id)
);
CREATE INDEX photos_sha ON photos (county_id, sha256);
CREATE INDEX photos_week ON photos (county_id, project_id, week_start);

ALTER TABLE photos ENABLE ROW LEVEL SECURITY;
ALTER TABLE photos FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON photos USING (county_id = app_county()) WITH CHECK (county_id = app_county());
