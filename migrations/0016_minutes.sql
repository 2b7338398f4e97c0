-- Minutes (会议纪要) of a sitting (M1.1, M1.2): the office drafts the
-- opening and closing words (the items' minutes and the decisions are on
-- the sitting already); the chair issues them. Each issued version keeps
-- the minutes as issued (their whole input), an issue number (第N期) per
-- county, series and year that a correction keeps, and its files (page,
-- PDF, .docx) as locked objects with their SHA-256. Insert-only for the
-- application, like bulletins.

ALTER TABLE meeting_sittings ADD COLUMN minutes_intro text NOT NULL DEFAULT '' CHECK (length(minutes_intro) <= 2000);
ALTER TABLE meeting_sittings ADD COLUMN minutes_closing text NOT NULL DEFAULT '' CHECK (length(minutes_closing) <= 2000);
-- The last account that wrote any of the minutes' text (the draft or an
-- item's minutes): it may not issue them (nobody approves their own work).
ALTER TABLE meeting_sittings ADD COLUMN minutes_edited_by uuid REFERENCES accounts(id);
ALTER TABLE meeting_sittings ADD COLUMN minutes_edited_at timestamptz;

CREATE TABLE meeting_minutes (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  sitting_id  uuid NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('weekly','monthly','bimonthly','half_year')),
  year        integer NOT NULL,
  issue_no    integer NOT NULL CHECK (issue_no >= 1),
  version     integer NOT NULL CHECK (version >= 1),
  reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
  content     jsonb NOT NULL,
  output_hash bytea NOT NULL CHECK (length(output_hash) = 32),
  issued_by   uuid NOT NULL REFERENCES accounts(id),
  issued_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (sitting_id, version),
  UNIQUE (county_id, id),
  CHECK (version = 1 OR reason <> ''),
  FOREIGN KEY (county_id, sitting_id) REFERENCES meeting_sittings (county_id, id)
);
CREATE UNIQUE INDEX meeting_minutes_issue ON meeting_minutes (county_id, kind, year, issue_no, version);

CREATE TABLE meeting_minutes_files (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id   uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  minutes_id  uuid NOT NULL,
  format      text NOT NULL CHECK (format IN ('html','pdf','docx')),
  object_key  text NOT NULL,
  version_id  text NOT NULL DEFAULT '',
  sha256      bytea NOT NULL CHECK (length(sha256) = 32),
  size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (minutes_id, format),
  FOREIGN KEY (county_id, minutes_id) REFERENCES meeting_minutes (county_id, id)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['meeting_minutes','meeting_minutes_files'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
END $$;
