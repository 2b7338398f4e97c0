-- Joint review and approval (联审联批, M3.7, M4.3): a meeting series of
-- its own (every two weeks by default) whose list is procedure items of the
-- ledger. Each item comes to a sitting nominated by its project's unit or
-- the office, or carried from an earlier sitting whose deadline it missed;
-- at the sitting it is done on the spot or given a deadline and a
-- responsible service unit, with the fast-track reforms applied to it.

ALTER TABLE meeting_sittings DROP CONSTRAINT meeting_sittings_kind_check;
ALTER TABLE meeting_sittings ADD CONSTRAINT meeting_sittings_kind_check
  CHECK (kind IN ('weekly','monthly','bimonthly','half_year','joint_review'));
ALTER TABLE meeting_minutes DROP CONSTRAINT meeting_minutes_kind_check;
ALTER TABLE meeting_minutes ADD CONSTRAINT meeting_minutes_kind_check
  CHECK (kind IN ('weekly','monthly','bimonthly','half_year','joint_review'));

ALTER TABLE project_procedures ADD CONSTRAINT project_procedures_county_id_id_key UNIQUE (county_id, id);

CREATE TABLE review_items (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id                uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  sitting_id               uuid NOT NULL,
  procedure_id             uuid NOT NULL,
  service_unit_id          uuid NOT NULL,
  source                   text NOT NULL CHECK (source IN ('project','office','carried')),
  carried_from             uuid UNIQUE,       -- the item of the earlier sitting this one continues
  first_on                 date NOT NULL,     -- the day the procedure first came to a joint review
  outcome                  text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending','done','deadline')),
  deadline                 date,
  agency_service           boolean NOT NULL DEFAULT false, -- 代办制
  merged_assessment        boolean NOT NULL DEFAULT false, -- 多评合一
  regional_assessment      boolean NOT NULL DEFAULT false, -- 区域评估
  accept_with_deficiencies boolean NOT NULL DEFAULT false, -- 容缺办理
  note                     text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
  decided_at               timestamptz,
  decided_by               uuid REFERENCES accounts(id),
  nominated_by             uuid REFERENCES accounts(id),
  carried_at               timestamptz,       -- set when carried on to a later sitting
  version                  integer NOT NULL DEFAULT 1,
  created_at               timestamptz NOT NULL DEFAULT now(),
  UNIQUE (sitting_id, procedure_id),
  UNIQUE (county_id, id),
  CHECK ((outcome = 'deadline') = (deadline IS NOT NULL)),
  CHECK ((outcome = 'pending') = (decided_at IS NULL)),
  CHECK ((source = 'carried') = (carried_from IS NOT NULL)),
  FOREIGN KEY (county_id, sitting_id) REFERENCES meeting_sittings (county_id, id),
  FOREIGN KEY (county_id, procedure_id) REFERENCES project_procedures (county_id, id),
  FOREIGN KEY (county_id, service_unit_id) REFERENCES units (county_id, id),
  FOREIGN KEY (county_id, carried_from) REFERENCES review_items (county_id, id)
);
CREATE INDEX review_items_sitting ON review_items (sitting_id);
CREATE INDEX review_items_unit ON review_items (county_id, service_unit_id);
CREATE INDEX review_items_open ON review_items (county_id, deadline) WHERE outcome = 'deadline' AND carried_at IS NULL;

ALTER TABLE review_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_items FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON review_items USING (county_id = app_county()) WITH CHECK (county_id = app_county());
