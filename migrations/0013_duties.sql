-- Separation of duties and corrections of closed weeks.

-- One seat per person per project (M2.1: four people, four seats). Checked
-- on every new or changed assignment, under a lock per project and person
-- so that two transactions cannot each add one of two seats; seats held
-- twice before this check existed are left as they are, reported to the
-- county's office below, and can be ended (a period that only shrinks is
-- not checked again).
CREATE FUNCTION task_force_one_seat() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.project_id = OLD.project_id AND NEW.person_id = OLD.person_id AND NEW.role = OLD.role
     AND daterange(NEW.valid_from, NEW.valid_to) <@ daterange(OLD.valid_from, OLD.valid_to) THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('task_force:' || NEW.project_id::text || ':' || NEW.person_id::text, 0));
  IF EXISTS (SELECT 1 FROM task_force_assignments o
             WHERE o.project_id = NEW.project_id AND o.person_id = NEW.person_id AND o.id <> NEW.id
               AND o.role <> NEW.role
               AND daterange(o.valid_from, o.valid_to) && daterange(NEW.valid_from, NEW.valid_to)) THEN
    RAISE EXCEPTION 'one seat per person per project'
      USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'task_force_one_seat_per_person';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER task_force_one_seat BEFORE INSERT OR UPDATE OF project_id, person_id, role, valid_from, valid_to
  ON task_force_assignments FOR EACH ROW EXECUTE FUNCTION task_force_one_seat();

-- Existing double seats: one message to each office account of the county.
DO $$
DECLARE c uuid;
BEGIN
  FOR c IN SELECT id FROM counties LOOP
    PERFORM set_config('app.county_id', c::text, true);
    INSERT INTO notifications (account_id, kind, title, body, link, idem_key)
    SELECT a.id, 'double_seat', '任务组一人多岗：' || d.project_name,
      '项目“' || d.project_name || '”的' || d.person_name || '同时担任' || d.roles ||
      '。按“1+3”机制，每个岗位应由不同人员担任，且本人报送的周报不能由本人确认，请调整任务组。',
      '/projects/' || d.project_id, 'double_seat:' || d.project_id || ':' || d.person_id
    FROM (
      SELECT x.project_id, p.name AS project_name, pe.name AS person_name, x.person_id,
        string_agg(CASE x.role WHEN 'chief' THEN '项目长' WHEN 'assistant' THEN '项目长助理'
                               WHEN 'responsible' THEN '项目责任人' ELSE '帮办人员' END, '、' ORDER BY x.role) AS roles
      FROM task_force_assignments x JOIN projects p ON p.id = x.project_id JOIN people pe ON pe.id = x.person_id
      WHERE x.valid_from <= current_date AND (x.valid_to IS NULL OR x.valid_to > current_date)
      GROUP BY x.project_id, p.name, pe.name, x.person_id
      HAVING count(DISTINCT x.role) > 1
    ) d
    CROSS JOIN (SELECT ac.id FROM accounts ac JOIN casbin_rules r ON r.ptype = 'g' AND r.v0 = ac.id::text
                  AND r.v1 = 'office' AND r.v2 LIKE '%/' || c::text
                WHERE ac.county_id = c AND NOT ac.disabled) a
    ON CONFLICT (account_id, idem_key) DO NOTHING;
  END LOOP;
  PERFORM set_config('app.county_id', '', true);
END $$;

-- An escalation is never deleted: when a correction of a closed week ends
-- the streak it was raised for, it is withdrawn with the reason. A streak
-- that forms again is raised again, so uniqueness holds among the ones in
-- force only.
ALTER TABLE escalations DROP CONSTRAINT escalations_status_check;
ALTER TABLE escalations ADD CONSTRAINT escalations_status_check
  CHECK (status IN ('pending','scheduled','done','waived','withdrawn'));
ALTER TABLE escalations ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE escalations ADD COLUMN withdrawn_reason text NOT NULL DEFAULT '' CHECK (length(withdrawn_reason) <= 1000);
ALTER TABLE escalations ADD CONSTRAINT escalations_withdrawn
  CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL) AND (status <> 'withdrawn' OR withdrawn_reason <> ''));
ALTER TABLE escalations DROP CONSTRAINT escalations_project_id_streak_start_level_person_id_key;
CREATE UNIQUE INDEX escalations_in_force ON escalations (project_id, streak_start, level, person_id) NULLS NOT DISTINCT
  WHERE status <> 'withdrawn';

-- An issued bulletin whose weeks were corrected after it was issued: the
-- issued version stays as it is and is marked as needing a correction (a
-- new version) until one is issued. Insert-only for the application.
CREATE TABLE bulletin_flags (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  bulletin_id uuid NOT NULL,
  week_start  date NOT NULL,
  project_id  uuid NOT NULL,
  reason      text NOT NULL CHECK (reason <> '' AND length(reason) <= 1000),
  flagged_by  uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (county_id, bulletin_id) REFERENCES bulletins (county_id, id)
);
CREATE INDEX bulletin_flags_bulletin ON bulletin_flags (county_id, bulletin_id);
ALTER TABLE bulletin_flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE bulletin_flags FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON bulletin_flags USING (county_id = app_county()) WITH CHECK (county_id = app_county());
