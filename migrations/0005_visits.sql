-- Site visits (issue 6; M2.2): task-force members check in at the site with
-- the phone's location. A visit is verified when it is within the county's
-- radius of the project and recorded inside the week it claims.

CREATE TABLE site_visits (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id  uuid NOT NULL,
  person_id   uuid NOT NULL,
  role        text NOT NULL CHECK (role IN ('chief','assistant','responsible','helper')),
  visited_at  timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  week_start  date NOT NULL,
  latitude    numeric(9,6) NOT NULL CHECK (latitude BETWEEN -90 AND 90),
  longitude   numeric(9,6) NOT NULL CHECK (longitude BETWEEN -180 AND 180),
  accuracy_m  integer CHECK (accuracy_m >= 0),
  distance_m  integer,
  verified    boolean NOT NULL,
  reason      text NOT NULL DEFAULT '',
  note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, person_id) REFERENCES people (county_id, id)
);
CREATE INDEX site_visits_week ON site_visits (county_id, week_start, project_id);

ALTER TABLE site_visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE site_visits FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON site_visits USING (county_id = app_county()) WITH CHECK (county_id = app_county());
