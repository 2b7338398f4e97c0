-- Problems (issue 6; M2.3): raised from a report, a visit or directly;
-- taken to a level (unit, office, project chief, weekly meeting), assigned
-- to a department with a deadline; overdue by query.

CREATE TABLE problems (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id        uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id       uuid NOT NULL,
  source           text NOT NULL CHECK (source IN ('report','visit','direct','inspection')),
  category         text NOT NULL CHECK (category IN ('land','funding','approvals','power','relocation','other')),
  description      text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
  raised_by        uuid,
  raised_at        timestamptz NOT NULL DEFAULT now(),
  level            text NOT NULL DEFAULT 'unit' CHECK (level IN ('unit','office','chief','weekly_meeting')),
  assigned_unit_id uuid,
  deadline         date,
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open','in_progress','resolved','closed')),
  resolution       text NOT NULL DEFAULT '' CHECK (length(resolution) <= 2000),
  resolved_at      timestamptz,
  version          integer NOT NULL DEFAULT 1,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((status IN ('resolved','closed')) = (resolved_at IS NOT NULL)),
  CHECK (status NOT IN ('resolved','closed') OR resolution <> ''),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, raised_by) REFERENCES people (county_id, id),
  FOREIGN KEY (county_id, assigned_unit_id) REFERENCES units (county_id, id)
);
CREATE INDEX problems_open ON problems (county_id, deadline) WHERE status IN ('open','in_progress');

ALTER TABLE problems ENABLE ROW LEVEL SECURITY;
ALTER TABLE problems FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON problems USING (county_id = app_county()) WITH CHECK (county_id = app_county());
