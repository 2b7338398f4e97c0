-- The monthly observation (观摩评比, M1.6, M5.1, M5.2): an event per month
-- with its sites in tour order and its judges (data on the event, on top
-- of their role), the rubric in force on its day kept with it; each
-- judge's sheet per site (once: a retried submission with the same key
-- is the same sheet); at close the results per site and per unit, ranked
-- in their pools, stored for the half-year and year-end assessments.

CREATE TABLE observation_events (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  month       date NOT NULL CHECK (extract(day FROM month) = 1),
  held_on     date NOT NULL,
  title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
  half_year   boolean NOT NULL DEFAULT false, -- June's (and December's): the half-year observation
  rubric      jsonb NOT NULL,
  judges      uuid[] NOT NULL CHECK (cardinality(judges) BETWEEN 1 AND 50),
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
  closed_at   timestamptz,
  closed_by   uuid REFERENCES accounts(id),
  close_note  text NOT NULL DEFAULT '' CHECK (length(close_note) <= 500),
  created_by  uuid REFERENCES accounts(id),
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, month),
  UNIQUE (county_id, id),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);

CREATE TABLE observation_sites (
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  event_id    uuid NOT NULL,
  project_id  uuid NOT NULL,
  position    integer NOT NULL CHECK (position >= 1),
  unit_id     uuid,            -- the unit the site counts for (an enterprise's project: its township)
  pool        text NOT NULL DEFAULT '' CHECK (pool IN ('','townships','zones','departments')),
  PRIMARY KEY (event_id, project_id),
  UNIQUE (county_id, event_id, project_id),
  UNIQUE (event_id, position),
  FOREIGN KEY (county_id, event_id) REFERENCES observation_events (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, project_id) REFERENCES projects (county_id, id),
  FOREIGN KEY (county_id, unit_id) REFERENCES units (county_id, id)
);

CREATE TABLE observation_scores (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id    uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  event_id     uuid NOT NULL,
  project_id   uuid NOT NULL,
  judge_id     uuid NOT NULL,  -- a person
  points       jsonb NOT NULL,
  total        integer NOT NULL CHECK (total >= 0),
  comment      text NOT NULL DEFAULT '' CHECK (length(comment) <= 500),
  photo_ids    uuid[] NOT NULL DEFAULT '{}',
  idem_key     text NOT NULL CHECK (length(idem_key) BETWEEN 8 AND 100),
  account_id   uuid NOT NULL REFERENCES accounts(id),
  submitted_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, project_id, judge_id),
  UNIQUE (county_id, idem_key),
  FOREIGN KEY (county_id, event_id, project_id) REFERENCES observation_sites (county_id, event_id, project_id),
  FOREIGN KEY (county_id, judge_id) REFERENCES people (county_id, id)
);

-- The results as computed at close, exact and as shown, with ranks.
CREATE TABLE observation_results (
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  event_id   uuid NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('site','unit')),
  subject_id uuid NOT NULL,     -- the project or the unit
  pool       text NOT NULL DEFAULT '',
  score_num  numeric NOT NULL,  -- exact (a fraction's value to 12 places)
  score      text NOT NULL,     -- two decimals as published
  rank       integer NOT NULL CHECK (rank >= 1),
  judges     integer NOT NULL,
  tie_note   text NOT NULL DEFAULT '',
  PRIMARY KEY (event_id, kind, subject_id),
  FOREIGN KEY (county_id, event_id) REFERENCES observation_events (county_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['observation_events','observation_sites','observation_scores','observation_results'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
