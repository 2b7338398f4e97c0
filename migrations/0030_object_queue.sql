-- Issued documents' files (bulletins, minutes, monthly reviews, notices)
-- and assessment snapshots are written with their rows: the bytes go into
-- this queue in the same transaction, never to the object store inside
-- it. After the commit they are stored locked, the rows' version columns
-- (empty until then) are set and the queue row goes; a crash in between
-- leaves the bytes here for the worker to store. A file is served from
-- here, hash checked, until it is stored.
CREATE TABLE object_queue (
  county_id     uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  key           text NOT NULL,
  content_type  text NOT NULL,
  body          bytea NOT NULL,
  sha256        bytea NOT NULL CHECK (length(sha256) = 32),
  retain_until  timestamptz NOT NULL,
  claimed_until timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (county_id, key)
);
ALTER TABLE object_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE object_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY county_isolation ON object_queue USING (county_id = app_county()) WITH CHECK (county_id = app_county());

-- The files of issued documents stay insert-only for the application but
-- for their version, which it may set once, from empty (its grant names
-- that column alone). A restore, run as the tables' owner, points versions
-- at the restored objects (it says so with tuijin.restore; the setting
-- alone, which any role can make, opens nothing).
CREATE FUNCTION version_set_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('tuijin.restore', true) = 'on'
     AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID) THEN
    RETURN NEW;
  END IF;
  IF OLD.version_id <> '' OR NEW.version_id = '' OR to_jsonb(NEW) - 'version_id' <> to_jsonb(OLD) - 'version_id' THEN
    RAISE EXCEPTION 'an issued file''s version is set once' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['bulletin_files','meeting_minutes_files','observation_review_files','assessment_notice_files'] LOOP
    EXECUTE format('CREATE TRIGGER version_set_once BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION version_set_once()', t);
  END LOOP;
END $$;
