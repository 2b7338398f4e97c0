-- Personal calendar feeds (issue 15): an account subscribes its phone or
-- desktop calendar to a secret URL (/api/v1/calendar/<county>/<secret>.ics:
-- the county binds the lookup like any request); only the SHA-256 of the
-- secret is kept; a feed is revoked (or replaced by a new one) and then
-- answers 404.
CREATE TABLE calendar_feeds (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  last_read_at timestamptz
);
CREATE UNIQUE INDEX calendar_feeds_one_active ON calendar_feeds (county_id, account_id) WHERE revoked_at IS NULL;
ALTER TABLE calendar_feeds ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_feeds FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON calendar_feeds USING (county_id = app_county()) WITH CHECK (county_id = app_county());
