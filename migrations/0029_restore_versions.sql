-- A restore writes every object again, and the bucket gives each a new
-- version id; the columns naming versions are pointed at the new ones. An
-- approved assessment is final except for that pointer: the application
-- may set it once, from empty (a snapshot stored after its row), the
-- owner (a restore) may move it; its snapshot's hash, which verification
-- checks, never changes.
CREATE OR REPLACE FUNCTION assessments_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'approved' THEN
    IF TG_OP = 'UPDATE' AND to_jsonb(NEW) - 'snapshot_version_id' = to_jsonb(OLD) - 'snapshot_version_id'
       AND (OLD.snapshot_version_id = '' OR current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID)) THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION 'assessment % is final', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
