-- One definition of each rule of the mechanism (M1.3, M1.8, M2.1, M4.2,
-- M4.4): which projects are listed in a period, each unit's main head,
-- the image progress a listing starts from, "stalled" stored with the week
-- it was decided in, whom an escalation names and why, and the ledger
-- import attempts kept with their annotated workbook.

-- M4.4: the project's image progress (percent) when it was listed; a first
-- report is measured against it.
ALTER TABLE key_list_entries ADD COLUMN baseline_image_percent integer
  CHECK (baseline_image_percent BETWEEN 0 AND 100);

-- M1.8 dynamic list: the projects listed on any day of [p_from, p_to]. An
-- entry of year Y's list covers the days from its addition to its removal
-- (exclusive), within year Y; a removed project counts up to its removal.
-- When the period spans two years' lists, the later year's entry is given.
-- Every caller (week close, reporting grid, dashboard, bulletins,
-- reminders, compliance) selects its projects through this function.
CREATE FUNCTION listed_projects(p_from date, p_to date)
RETURNS TABLE (project_id uuid, entry_id uuid, year integer, planned_investment_yuan bigint,
               added_on date, removed_on date, baseline_image_percent integer)
LANGUAGE sql STABLE AS $$
  SELECT DISTINCT ON (e.project_id) e.project_id, e.id, k.year, e.planned_investment_yuan,
         e.added_on, e.removed_on, e.baseline_image_percent
  FROM key_list_entries e JOIN key_lists k ON k.id = e.key_list_id
  WHERE greatest(e.added_on, make_date(k.year, 1, 1)) <= p_to
    AND least(coalesce(e.removed_on, 'infinity'::date), make_date(k.year + 1, 1, 1)) > p_from
    AND greatest(e.added_on, make_date(k.year, 1, 1)) < least(coalesce(e.removed_on, 'infinity'::date), make_date(k.year + 1, 1, 1))
  ORDER BY e.project_id, k.year DESC
$$;

-- M2.1: the unit's main head (主要负责人), the one eligible for a project's
-- responsible seat and the one named when that seat is empty.
ALTER TABLE units ADD COLUMN head_person_id uuid;
ALTER TABLE units ADD CONSTRAINT units_head_fk FOREIGN KEY (county_id, head_person_id) REFERENCES people (county_id, id);

-- M1.3: "stalled" (streak at or over the county's level-1 threshold) as
-- decided when the week closed, under the settings then in force.
ALTER TABLE week_status ADD COLUMN stalled boolean NOT NULL DEFAULT false;

-- Whom an escalation names and why: the seat's holder during the streak,
-- the responsible unit's main head when the seat was empty (level 1), or
-- the leading group's leader when no county leader subcontracted the
-- project (level 2). Escalations raised before keep 'seat'.
ALTER TABLE escalations ADD COLUMN named_as text NOT NULL DEFAULT 'seat'
  CHECK (named_as IN ('seat','unit_head','group_leader'));

-- Ledger imports: every attempt, its capped complaints and, for a refused
-- workbook, a copy with the bad cells highlighted and commented; kept 30 days.
CREATE TABLE import_attempts (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id      uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  kind           text NOT NULL CHECK (kind IN ('key_list')),
  year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  file_name      text NOT NULL DEFAULT '' CHECK (length(file_name) <= 200),
  outcome        text NOT NULL CHECK (outcome IN ('imported','dry_run','refused')),
  rows_read      integer NOT NULL DEFAULT 0,
  problems_total integer NOT NULL DEFAULT 0,
  problems       jsonb NOT NULL DEFAULT '[]',
  annotated      bytea,
  created_by     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL DEFAULT now() + interval '30 days',
  UNIQUE (county_id, id)
);
CREATE INDEX import_attempts_recent ON import_attempts (county_id, created_at DESC);
ALTER TABLE import_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON import_attempts USING (county_id = app_county()) WITH CHECK (county_id = app_county());

-- M1.8: a project taken off a year's list and put back has two periods on
-- it; each is kept (the weeks of the first stay listed). At most one period
-- is open, and periods of a project on one list never overlap.
ALTER TABLE key_list_entries DROP CONSTRAINT key_list_entries_key_list_id_project_id_key;
ALTER TABLE key_list_entries ADD CONSTRAINT key_list_entries_periods
  EXCLUDE USING gist (key_list_id WITH =, project_id WITH =, daterange(added_on, removed_on) WITH &&);
CREATE UNIQUE INDEX key_list_entries_open ON key_list_entries (key_list_id, project_id) WHERE removed_on IS NULL;
CREATE INDEX key_list_entries_project ON key_list_entries (county_id, project_id);

-- The existing rows, county by county (Row-Level Security shows a
-- migration one county at a time, as it shows the application):
-- * each unit's main head: the one person now holding the responsible seat
--   of all the unit's projects, where there is exactly one and they belong
--   to the unit;
-- * each closed week's "stalled", under the threshold then in force.
DO $$
DECLARE c uuid;
BEGIN
  FOR c IN SELECT id FROM counties LOOP
    PERFORM set_config('app.county_id', c::text, true);
    UPDATE units u SET head_person_id = h.person_id
    FROM (
      SELECT p.responsible_unit_id AS unit_id, min(a.person_id::text)::uuid AS person_id
      FROM task_force_assignments a JOIN projects p ON p.id = a.project_id
      WHERE a.role = 'responsible' AND a.valid_from <= current_date AND (a.valid_to IS NULL OR a.valid_to > current_date)
      GROUP BY p.responsible_unit_id
      HAVING count(DISTINCT a.person_id) = 1
    ) h
    WHERE h.unit_id = u.id AND u.head_person_id IS NULL
      AND EXISTS (SELECT 1 FROM people pe WHERE pe.id = h.person_id AND pe.unit_id = u.id);
    UPDATE week_status w SET stalled = w.streak > 0 AND w.streak >= coalesce((
      SELECT (v."values"->>'stall_unit_head_weeks')::int FROM settings_versions v
      WHERE v.effective_from <= w.week_start ORDER BY v.effective_from DESC LIMIT 1), 2);
  END LOOP;
  PERFORM set_config('app.county_id', '', true);
END $$;
ALTER TABLE week_status ALTER COLUMN stalled DROP DEFAULT;
ALTER TABLE week_status ADD CONSTRAINT week_status_stalled_streak CHECK (NOT stalled OR streak > 0);
