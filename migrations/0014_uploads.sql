-- Uploads in three steps (issue 13). A request authorises in a short
-- transaction and stages its upload there; it reads, hashes and inspects the
-- body with no transaction open and stores the objects, unlocked, under the
-- stage's prefix; a second transaction writes the rows and marks the stage
-- committed with the object versions to lock. Only then are they locked.
-- A stage left uncommitted (a crash, a refused or rolled-back upload) has
-- its objects removed by the worker's sweeper; a committed one whose locking
-- failed is locked by it.
CREATE TABLE staged_uploads (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id    uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  purpose      text NOT NULL CHECK (purpose ~ '^[a-z_]{1,40}$'),
  prefix       text NOT NULL CHECK (prefix LIKE '%/'),
  -- One uncommitted stage per county and purpose (a ledger import).
  exclusive    boolean NOT NULL DEFAULT false,
  -- Set by the transaction that writes the rows: [{"key":…,"version_id":…}].
  committed_at timestamptz,
  objects      jsonb NOT NULL DEFAULT '[]',
  retain_until timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, prefix)
);
CREATE UNIQUE INDEX staged_uploads_exclusive ON staged_uploads (county_id, purpose) WHERE exclusive AND committed_at IS NULL;
CREATE INDEX staged_uploads_age ON staged_uploads (county_id, created_at);
ALTER TABLE staged_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE staged_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON staged_uploads USING (county_id = app_county()) WITH CHECK (county_id = app_county());

-- A photo's display copy and thumbnail are made by the worker: pending
-- until then, failed when the photo cannot be decoded. Photos stored before
-- have theirs (the column's first default fills them; later rows start
-- pending).
ALTER TABLE photos ADD COLUMN derivatives text NOT NULL DEFAULT 'ready' CHECK (derivatives IN ('pending','ready','failed'));
ALTER TABLE photos ALTER COLUMN derivatives SET DEFAULT 'pending';

-- A refused workbook is annotated by the worker from the stored upload and
-- its bad cells (source_prefix), which it then removes.
ALTER TABLE import_attempts ADD COLUMN source_prefix text;
ALTER TABLE import_attempts ADD COLUMN annotation_pending boolean NOT NULL DEFAULT false;
