-- Key project registry and ledger (issue 5): M1.8 dynamic management, M2.1
-- task forces, M3.6 pipeline, M4.2/M4.3 procedure ledger, M4.4 node plans.
-- Money is whole yuan (bigint); dates are Asia/Shanghai calendar dates.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE project_categories (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  code       text NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  sort_order integer NOT NULL DEFAULT 0,
  UNIQUE (county_id, code), UNIQUE (county_id, name), UNIQUE (county_id, id)
);

CREATE TABLE procedure_types (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id               uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  code                    text NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
  name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  default_service_unit_id uuid,
  sort_order              integer NOT NULL DEFAULT 0,
  UNIQUE (county_id, code), UNIQUE (county_id, name), UNIQUE (county_id, id),
  FOREIGN KEY (county_id, default_service_unit_id) REFERENCES units (county_id, id)
);

CREATE TABLE projects (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id             uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  code                  text NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
  name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  category_id           uuid NOT NULL,
  level                 text NOT NULL CHECK (level IN ('provincial','municipal','county')),
  construction_type     text NOT NULL CHECK (construction_type IN ('new','continuing','completing')),
  status                text NOT NULL DEFAULT 'preparing' CHECK (status IN ('preparing','under_construction','completed','suspended')),
  responsible_unit_id   uuid NOT NULL,
  township_unit_id      uuid,
  latitude              numeric(9,6) CHECK (latitude BETWEEN -90 AND 90),
  longitude             numeric(9,6) CHECK (longitude BETWEEN -180 AND 180),
  content               text NOT NULL DEFAULT '' CHECK (length(content) <= 2000),
  total_investment_yuan bigint NOT NULL CHECK (total_investment_yuan >= 0),
  invested_to_date_yuan bigint NOT NULL DEFAULT 0 CHECK (invested_to_date_yuan >= 0),
  planned_start         date,
  planned_completion    date,
  tags                  text[] NOT NULL DEFAULT '{}',
  version               integer NOT NULL DEFAULT 1,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, code), UNIQUE (county_id, id),
  CHECK ((latitude IS NULL) = (longitude IS NULL)),
  CHECK (planned_completion IS NULL OR planned_start IS NULL OR planned_completion >= planned_start),
  FOREIGN KEY (county_id, category_id) REFERENCES project_categories (county_id, id),
  FOREIGN KEY (county_id, responsible_unit_id) REFERENCES units (county_id, id),
  FOREIGN KEY (county_id, township_unit_id) REFERENCES units (county_id, id)
);
CREATE INDEX projects_county_name ON projects (county_id, name, id);
CREATE INDEX projects_unit ON projects (county_id, responsible_unit_id);
CREATE INDEX projects_tags ON projects USING gin (tags);

-- A county's key list for a year (年度重点推进项目), managed dynamically:
-- an entry is added and removed on dated, reasoned events (M1.8).
CREATE TABLE key_lists (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  year       integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, year), UNIQUE (county_id, id)
);

CREATE TABLE key_list_entries (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id               uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  key_list_id             uuid NOT NULL,
  project_id              uuid NOT NULL,
  planned_investment_yuan bigint NOT NULL CHECK (planned_investment_yuan >= 0),
  added_on                date NOT NULL,
  added_reason            text NOT NULL DEFAULT '' CHECK (length(added_reason) <= 500),
  removed_on              date,
  removed_reason          text NOT NULL DEFAULT '' CHECK (length(removed_reason) <= 500),
  UNIQUE (key_list_id, project_id),
  CHECK (removed_on IS NULL OR removed_on >= added_on),
  FOREIGN KEY (county_id, key_list_id) REFERENCES key_lists (county_id, id),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id)
);

-- Pipeline of candidate projects (谋划项目, M3.6).
CREATE TABLE candidate_projects (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id                 uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  stage                     text NOT NULL CHECK (stage IN ('idea','proposal','preparation','promoted')),
  owner_unit_id             uuid NOT NULL,
  owner_person_id           uuid,
  estimated_investment_yuan bigint NOT NULL DEFAULT 0 CHECK (estimated_investment_yuan >= 0),
  note                      text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  promoted_project_id       uuid,
  version                   integer NOT NULL DEFAULT 1,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  CHECK ((stage = 'promoted') = (promoted_project_id IS NOT NULL)),
  FOREIGN KEY (county_id, owner_unit_id) REFERENCES units (county_id, id),
  FOREIGN KEY (county_id, owner_person_id) REFERENCES people (county_id, id),
  FOREIGN KEY (county_id, promoted_project_id) REFERENCES projects (county_id, id)
);

-- The 1+3 task force (M2.1), dated so that the holder of each role in any
-- week is known (escalations name the people in post during a streak).
-- valid_to is exclusive; periods of one role never overlap.
CREATE TABLE task_force_assignments (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id uuid NOT NULL,
  role       text NOT NULL CHECK (role IN ('chief','assistant','responsible','helper')),
  person_id  uuid NOT NULL,
  valid_from date NOT NULL,
  valid_to   date,
  note       text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_to IS NULL OR valid_to > valid_from),
  EXCLUDE USING gist (project_id WITH =, role WITH =, daterange(valid_from, valid_to) WITH &&),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, person_id) REFERENCES people (county_id, id)
);
CREATE INDEX task_force_person ON task_force_assignments (county_id, person_id);

-- Procedure ledger (M4.2, M4.3).
CREATE TABLE project_procedures (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id                uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id               uuid NOT NULL,
  type_id                  uuid NOT NULL,
  service_unit_id          uuid NOT NULL,
  roadmap                  text NOT NULL DEFAULT '' CHECK (length(roadmap) <= 2000),
  planned_date             date,
  actual_date              date,
  status                   text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','in_progress','done','not_needed')),
  accept_with_deficiencies boolean NOT NULL DEFAULT false, -- 容缺办理
  merged_assessment        boolean NOT NULL DEFAULT false, -- 多评合一
  regional_assessment      boolean NOT NULL DEFAULT false, -- 区域评估
  joint_acceptance         boolean NOT NULL DEFAULT false, -- 联合审验
  agency_service           boolean NOT NULL DEFAULT false, -- 代办
  version                  integer NOT NULL DEFAULT 1,
  updated_at               timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, type_id),
  CHECK ((status = 'done') = (actual_date IS NOT NULL)),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, type_id) REFERENCES procedure_types (county_id, id),
  FOREIGN KEY (county_id, service_unit_id) REFERENCES units (county_id, id)
);
CREATE INDEX project_procedures_due ON project_procedures (county_id, planned_date) WHERE status IN ('pending','in_progress');

-- Node plan (M4.4): the five nodes with planned and actual dates.
CREATE TABLE project_nodes (
  county_id    uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id   uuid NOT NULL,
  node         text NOT NULL CHECK (node IN ('site_ready','main_start','construction','acceptance','in_use')),
  planned_date date,
  actual_date  date,
  PRIMARY KEY (project_id, node),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE
);

-- Monthly targets (M4.4): image progress and investment for each month of a year.
CREATE TABLE project_month_targets (
  county_id       uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id      uuid NOT NULL,
  year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  month           integer NOT NULL CHECK (month BETWEEN 1 AND 12),
  image_target    text NOT NULL DEFAULT '' CHECK (length(image_target) <= 500),
  investment_yuan bigint NOT NULL CHECK (investment_yuan >= 0),
  PRIMARY KEY (project_id, year, month),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['project_categories','procedure_types','projects','key_lists','key_list_entries',
    'candidate_projects','task_force_assignments','project_procedures','project_nodes','project_month_targets'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
