-- Supervision engine (issue 7; M1.1, M1.3, M2.2, M3.5, P4): job runs keyed by
-- county, job and period; the outbox; the week close's stored results (each
-- project's week with its seats' compliance); escalations for TV questioning;
-- joint inspections; bulletins; notifications and their deliveries; the
-- dead-letter list of failed jobs.

-- One row per county, job and period (e.g. week_close 2026-W10). A run and
-- its results commit in one transaction, so a period is done exactly once
-- however many workers pick it up.
CREATE TABLE job_runs (
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  job         text NOT NULL CHECK (job ~ '^[a-z_]{1,40}$'),
  period      text NOT NULL CHECK (length(period) BETWEEN 1 AND 40),
  finished_at timestamptz NOT NULL DEFAULT now(),
  result      jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (county_id, job, period)
);

-- Business changes that must reach the worker are written here in the same
-- transaction; the relay enqueues them and stamps relayed_at.
CREATE TABLE outbox (
  id         bigserial PRIMARY KEY,
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  kind       text NOT NULL CHECK (kind IN ('deliver','job')),
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  relayed_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (county_id, id) WHERE relayed_at IS NULL;

-- A project's closed week (M1.3): the report's state, the substantive
-- progress taken (a missing report is none), the stall streak, and each
-- seat's site presence (M2.2) as {role: {person_id, required, done}}.
CREATE TABLE week_status (
  county_id    uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id   uuid NOT NULL,
  week_start   date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
  report_state text NOT NULL CHECK (report_state IN ('on_time','late','missing')),
  progress     boolean NOT NULL,
  overridden   boolean NOT NULL DEFAULT false,
  streak       integer NOT NULL CHECK (streak >= 0),
  compliance   jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (project_id, week_start),
  CHECK (progress = (streak = 0)),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE
);
CREATE INDEX week_status_week ON week_status (county_id, week_start);

-- TV questioning register (电视问政, M1.3): one row per person named for a
-- streak and level. A person who held the post during any week of the streak
-- up to the threshold is named; person_id is NULL when the post was empty.
CREATE TABLE escalations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id     uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id    uuid NOT NULL,
  level         integer NOT NULL CHECK (level IN (1, 2)),
  role          text NOT NULL CHECK (role IN ('responsible','chief')),
  person_id     uuid,
  streak_start  date NOT NULL,
  raised_week   date NOT NULL,
  weeks         integer NOT NULL CHECK (weeks >= 1),
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','scheduled','done','waived')),
  scheduled_on  date,
  note          text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (project_id, streak_start, level, person_id),
  UNIQUE (county_id, id),
  CHECK (status <> 'scheduled' OR scheduled_on IS NOT NULL),
  CHECK (status <> 'waived' OR note <> ''),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, person_id) REFERENCES people (county_id, id)
);
CREATE INDEX escalations_open ON escalations (county_id, raised_week) WHERE status IN ('pending','scheduled');

-- Joint inspection (M3.5): the grouping plan of a year and the records.
CREATE TABLE inspection_assignments (
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  year       integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  project_id uuid NOT NULL,
  group_id   uuid NOT NULL,
  PRIMARY KEY (project_id, year),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, group_id) REFERENCES org_groups (county_id, id)
);

CREATE TABLE inspections (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id                uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  project_id               uuid NOT NULL,
  group_id                 uuid NOT NULL,
  week_start               date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
  visited_on               date NOT NULL,
  nodes                    jsonb NOT NULL DEFAULT '[]',
  verified_investment_yuan bigint NOT NULL CHECK (verified_investment_yuan >= 0),
  findings                 text NOT NULL DEFAULT '' CHECK (length(findings) <= 4000),
  recorded_by              uuid,
  created_at               timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, week_start),
  UNIQUE (county_id, id),
  CHECK (visited_on BETWEEN week_start AND week_start + 6),
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, group_id) REFERENCES org_groups (county_id, id)
);

-- Bulletins (周通报): a draft is recomputed on demand; an issued version is
-- frozen with its inputs and the SHA-256 of its output and never updated.
CREATE TABLE bulletins (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  kind        text NOT NULL CHECK (kind IN ('weekly','group6')),
  week_start  date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
  version     integer NOT NULL CHECK (version >= 1),
  inputs      jsonb NOT NULL,
  output_hash bytea NOT NULL,
  reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
  issued_by   uuid,
  issued_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, kind, week_start, version),
  CHECK (version = 1 OR reason <> '')
);

-- In-app inbox; idem_key makes a message at most once per account.
CREATE TABLE notifications (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  account_id uuid NOT NULL,
  kind       text NOT NULL,
  title      text NOT NULL,
  body       text NOT NULL DEFAULT '',
  link       text NOT NULL DEFAULT '',
  idem_key   text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at    timestamptz,
  UNIQUE (account_id, idem_key),
  UNIQUE (county_id, id)
);
CREATE INDEX notifications_inbox ON notifications (account_id, created_at DESC);

-- A user's outside channels: WeCom or DingTalk group robots, e-mail.
CREATE TABLE notification_channels (
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  account_id uuid NOT NULL,
  channel    text NOT NULL CHECK (channel IN ('wecom','dingtalk','email')),
  target     text NOT NULL CHECK (length(target) BETWEEN 3 AND 500),
  secret     text NOT NULL DEFAULT '' CHECK (length(secret) <= 200),
  enabled    boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, channel)
);

-- One delivery per message and channel: a retried task finds it sent.
CREATE TABLE deliveries (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id       uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  notification_id uuid NOT NULL,
  channel         text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','dead')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text NOT NULL DEFAULT '',
  sent_at         timestamptz,
  UNIQUE (notification_id, channel),
  FOREIGN KEY (county_id, notification_id) REFERENCES notifications (county_id, id) ON DELETE CASCADE
);

-- Jobs that failed after their last retry, for the office to see and retry.
CREATE TABLE dead_letters (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  task_type  text NOT NULL,
  payload    jsonb NOT NULL,
  error      text NOT NULL,
  attempts   integer NOT NULL,
  failed_at  timestamptz NOT NULL DEFAULT now(),
  retried_at timestamptz,
  retried_by uuid
);
CREATE INDEX dead_letters_open ON dead_letters (county_id, failed_at DESC) WHERE retried_at IS NULL;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['job_runs','outbox','week_status','escalations',
    'inspection_assignments','inspections','bulletins','notifications','notification_channels',
    'deliveries','dead_letters'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
