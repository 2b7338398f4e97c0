-- Meetings (M1.1, M1.2, M1.4, M1.5, M1.7): each series' sittings, their
-- agendas drawn from the data, attendance, and the decisions that become
-- tracked actions (督办事项).

ALTER TABLE problems ADD CONSTRAINT problems_county_id_id_key UNIQUE (county_id, id);

-- A sitting of a series. slot_on is the date the series' settings give
-- it (one sitting per county, kind and slot); day is when it is held
-- (moved with a reason, or skipped with one). ordinal (第N次) is given
-- when it is held, per county, kind and year.
CREATE TABLE meeting_sittings (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id          uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  kind               text NOT NULL CHECK (kind IN ('weekly','monthly','bimonthly','half_year')),
  slot_on            date NOT NULL,
  day                date NOT NULL,
  starts_at          timestamptz NOT NULL,
  place              text NOT NULL DEFAULT '' CHECK (length(place) <= 100),
  site_project_id    uuid,
  chair_post         text NOT NULL DEFAULT '' CHECK (length(chair_post) <= 50),
  chair_person_id    uuid,
  status             text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned','held','skipped')),
  change_reason      text NOT NULL DEFAULT '' CHECK (length(change_reason) <= 500),
  ordinal            integer CHECK (ordinal >= 1),
  review_from        date NOT NULL,
  review_to          date NOT NULL,
  review_week        date,
  prepare_on         date NOT NULL,
  prepared_at        timestamptz,
  agenda_approved_at timestamptz,
  agenda_approved_by uuid,
  version            integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, kind, slot_on),
  UNIQUE (county_id, id),
  CHECK (status <> 'skipped' OR change_reason <> ''),
  CHECK ((status = 'held') = (ordinal IS NOT NULL)),
  CHECK (review_to >= review_from),
  FOREIGN KEY (county_id, site_project_id) REFERENCES projects (county_id, id),
  FOREIGN KEY (county_id, chair_person_id) REFERENCES people (county_id, id)
);
CREATE UNIQUE INDEX meeting_sittings_ordinal ON meeting_sittings (county_id, kind, extract(year FROM day), ordinal) WHERE ordinal IS NOT NULL;
CREATE INDEX meeting_sittings_day ON meeting_sittings (county_id, day);
CREATE INDEX meeting_sittings_to_prepare ON meeting_sittings (county_id, prepare_on) WHERE prepared_at IS NULL AND status = 'planned';

-- Who is expected, and how each attended: signed in, absent with a
-- reason, or represented by a deputy.
CREATE TABLE meeting_attendance (
  county_id        uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  sitting_id       uuid NOT NULL,
  person_id        uuid NOT NULL,
  role             text NOT NULL DEFAULT 'participant' CHECK (role IN ('chair','participant')),
  status           text NOT NULL DEFAULT 'expected' CHECK (status IN ('expected','signed_in','absent','deputy')),
  reason           text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
  deputy_person_id uuid,
  signed_at        timestamptz,
  PRIMARY KEY (sitting_id, person_id),
  CHECK ((status = 'signed_in') = (signed_at IS NOT NULL)),
  CHECK (status <> 'absent' OR reason <> ''),
  CHECK ((status = 'deputy') = (deputy_person_id IS NOT NULL)),
  FOREIGN KEY (county_id, sitting_id) REFERENCES meeting_sittings (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, person_id) REFERENCES people (county_id, id),
  FOREIGN KEY (county_id, deputy_person_id) REFERENCES people (county_id, id)
);

-- The agenda. Items drafted by the preparation job carry their evidence as
-- it stood then; the office adds items; the chair picks the projects a
-- weekly meeting takes up (M1.2: one or two).
CREATE TABLE meeting_items (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  sitting_id  uuid NOT NULL,
  position    integer NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('overdue_action','stalled_project','escalated_project','problem','overdue_procedure',
                'month_figures','common_problem','leader_report','model_speech','pledge_speech','custom')),
  source      text NOT NULL CHECK (source IN ('prepared','office')),
  project_id  uuid,
  problem_id  uuid,
  action_id   uuid,
  unit_id     uuid,
  person_id   uuid,
  title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  detail      text NOT NULL DEFAULT '' CHECK (length(detail) <= 2000),
  evidence    jsonb NOT NULL DEFAULT '{}',
  picked      boolean NOT NULL DEFAULT false,
  minutes     text NOT NULL DEFAULT '' CHECK (length(minutes) <= 5000),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, id),
  FOREIGN KEY (county_id, sitting_id) REFERENCES meeting_sittings (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id),
  FOREIGN KEY (county_id, problem_id) REFERENCES problems (county_id, id),
  FOREIGN KEY (county_id, unit_id) REFERENCES units (county_id, id),
  FOREIGN KEY (county_id, person_id) REFERENCES people (county_id, id)
);
CREATE INDEX meeting_items_sitting ON meeting_items (sitting_id, position);
CREATE UNIQUE INDEX meeting_items_prepared ON meeting_items (sitting_id, kind, project_id, problem_id, action_id, unit_id, person_id)
  NULLS NOT DISTINCT WHERE source = 'prepared';

-- Decisions (议定事项), numbered per sitting, each a tracked action
-- (督办事项): owner unit (and person), partner units, deadline, the project
-- or problem it resolves; the owner reports it done with evidence, the
-- office verifies and closes it (办结销号) or sends it back.
CREATE TABLE meeting_actions (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id        uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  sitting_id       uuid NOT NULL,
  item_id          uuid,
  number           integer NOT NULL CHECK (number >= 1),
  text             text NOT NULL CHECK (length(text) BETWEEN 4 AND 1000),
  owner_unit_id    uuid NOT NULL,
  owner_person_id  uuid,
  partner_unit_ids uuid[] NOT NULL DEFAULT '{}',
  deadline         date NOT NULL,
  project_id       uuid,
  problem_id       uuid,
  closes_problem   boolean NOT NULL DEFAULT false,
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open','reported','closed')),
  evidence         text NOT NULL DEFAULT '' CHECK (length(evidence) <= 2000),
  reported_on      date,
  reported_by      uuid,
  return_reason    text NOT NULL DEFAULT '' CHECK (length(return_reason) <= 500),
  closed_at        timestamptz,
  closed_by        uuid,
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (sitting_id, number),
  UNIQUE (county_id, id),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  CHECK (status = 'open' OR reported_on IS NOT NULL),
  CHECK (NOT closes_problem OR problem_id IS NOT NULL),
  FOREIGN KEY (county_id, sitting_id) REFERENCES meeting_sittings (county_id, id),
  FOREIGN KEY (county_id, item_id) REFERENCES meeting_items (county_id, id) ON DELETE SET NULL (item_id),
  FOREIGN KEY (county_id, owner_unit_id) REFERENCES units (county_id, id),
  FOREIGN KEY (county_id, owner_person_id) REFERENCES people (county_id, id),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id),
  FOREIGN KEY (county_id, problem_id) REFERENCES problems (county_id, id)
);
CREATE INDEX meeting_actions_open ON meeting_actions (county_id, deadline) WHERE status <> 'closed';
CREATE INDEX meeting_actions_unit ON meeting_actions (county_id, owner_unit_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['meeting_sittings','meeting_attendance','meeting_items','meeting_actions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
