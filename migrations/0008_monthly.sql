-- Monthly figures (issue 6; M4.4): investment completed in a month and the
-- image progress, against the node plan's monthly targets; the Statistics
-- Bureau marks them verified, and a change afterwards clears the mark.

CREATE TABLE monthly_figures (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id       uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id      uuid NOT NULL,
  year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  month           integer NOT NULL CHECK (month BETWEEN 1 AND 12),
  investment_yuan bigint NOT NULL CHECK (investment_yuan >= 0),
  image_progress  text NOT NULL DEFAULT '' CHECK (length(image_progress) <= 1000),
  reported_by     uuid,
  reported_at     timestamptz NOT NULL DEFAULT now(),
  verified_by     uuid,
  verified_at     timestamptz,
  version         integer NOT NULL DEFAULT 1,
  UNIQUE (project_id, year, month),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE
);

ALTER TABLE monthly_figures ENABLE ROW LEVEL SECURITY;
ALTER TABLE monthly_figures FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON monthly_figures USING (county_id = app_county()) WITH CHECK (county_id = app_county());
