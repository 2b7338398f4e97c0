-- Batch ground-breaking (双月开工, M1.1): every cadence_batch_start (two
-- months by default, from January) a round lists the listed projects whose
-- planned start falls in its window; the office records the ceremony, the
-- units say why a project has not started. One definition of "started" and
-- of "planned start" for the bulletins and the rounds alike.

-- The day a project started: the earliest actual date of a node from main
-- works on (主体开工 and after).
CREATE FUNCTION project_started_on(p_project uuid) RETURNS date
LANGUAGE sql STABLE AS $$
  SELECT min(actual_date) FROM project_nodes
  WHERE project_id = p_project AND node IN ('main_start','construction','acceptance','in_use') AND actual_date IS NOT NULL
$$;

-- Started by p_on: a node from main works on done by then, or the project
-- recorded under construction or completed (whose date may be unknown).
CREATE FUNCTION project_started(p_project uuid, p_on date) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM projects WHERE id = p_project AND status IN ('under_construction','completed'))
      OR coalesce(project_started_on(p_project) <= p_on, false)
$$;

-- The planned start: the node plan's main works date, else the project's.
CREATE FUNCTION project_planned_start(p_project uuid) RETURNS date
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT planned_date FROM project_nodes WHERE project_id = p_project AND node = 'main_start'),
                  (SELECT planned_start FROM projects WHERE id = p_project))
$$;

-- A round's ceremony as the office records it, and the projects present.
CREATE TABLE batch_start_rounds (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  window_from date NOT NULL,
  window_to   date NOT NULL,
  ceremony_on date NOT NULL,
  place       text NOT NULL DEFAULT '' CHECK (length(place) <= 100),
  note        text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
  present     uuid[] NOT NULL DEFAULT '{}',
  recorded_by uuid REFERENCES accounts(id),
  version     integer NOT NULL DEFAULT 1,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, window_from),
  CHECK (window_to >= window_from)
);

-- Why a project of a round has not started, in its unit's words.
CREATE TABLE batch_start_reasons (
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  window_from date NOT NULL,
  project_id  uuid NOT NULL,
  reason      text NOT NULL CHECK (length(reason) BETWEEN 2 AND 500),
  recorded_by uuid REFERENCES accounts(id),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (county_id, window_from, project_id),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['batch_start_rounds','batch_start_reasons'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
