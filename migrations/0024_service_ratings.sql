-- Service units rated (M5.3): a rating round the office opens for a
-- period; each township and each responsible unit of a listed project
-- rates the service units it dealt with (the service units of its
-- projects' procedures) against their service commitments, once per rater
-- and service unit, 0–100. The rated unit never sees who rated it.

CREATE TABLE service_rating_rounds (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id    uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  period       text NOT NULL CHECK (period IN ('half','year')),
  period_start date NOT NULL,
  period_end   date NOT NULL,
  status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
  opened_by    uuid NOT NULL REFERENCES accounts(id),
  opened_at    timestamptz NOT NULL DEFAULT now(),
  closed_at    timestamptz,
  UNIQUE (county_id, period, period_start),
  UNIQUE (county_id, id)
);

CREATE TABLE service_ratings (
  county_id       uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  round_id        uuid NOT NULL,
  rater_unit_id   uuid NOT NULL,
  service_unit_id uuid NOT NULL,
  score           integer NOT NULL CHECK (score BETWEEN 0 AND 100),
  comment         text NOT NULL DEFAULT '' CHECK (length(comment) <= 500),
  rated_by        uuid NOT NULL REFERENCES accounts(id),
  rated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (round_id, rater_unit_id, service_unit_id),
  CHECK (rater_unit_id <> service_unit_id),
  FOREIGN KEY (county_id, round_id) REFERENCES service_rating_rounds (county_id, id),
  FOREIGN KEY (county_id, rater_unit_id) REFERENCES units (county_id, id),
  FOREIGN KEY (county_id, service_unit_id) REFERENCES units (county_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['service_rating_rounds','service_ratings'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
