-- Security (issue 13).
--
-- A delivery is leased for one attempt: the worker claims it in a short
-- transaction (lease_token, lease_until), sends with no transaction open,
-- then records the outcome. A second attempt waits for the lease to expire,
-- so a worker that died while sending is replaced, and one that records
-- 'sent' stops every later attempt.
ALTER TABLE deliveries
  ADD COLUMN lease_token uuid,
  ADD COLUMN lease_until timestamptz,
  ADD CHECK ((lease_token IS NULL) = (lease_until IS NULL));

-- Each replica caches sessions and the casbin policy. These counters are read
-- in the round trip that begins every request, so a change committed through
-- any replica reaches every other one at its next request, whether or not its
-- Redis message arrives: policy counts changes of casbin_rules; sessions counts
-- changes of accounts and revocations or county switches of sessions.
CREATE TABLE security_versions (
  id       boolean PRIMARY KEY DEFAULT true CHECK (id),
  policy   bigint NOT NULL DEFAULT 1,
  sessions bigint NOT NULL DEFAULT 1
);
INSERT INTO security_versions DEFAULT VALUES;

-- Bumped when the changing transaction commits (deferred constraint
-- triggers) and once per transaction and counter: the row is locked only at
-- the very end, so concurrent changes cannot deadlock on it.
CREATE FUNCTION bump_security_version() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF current_setting('app.security_bumped_' || TG_ARGV[0], true) IS DISTINCT FROM 'on' THEN
    PERFORM set_config('app.security_bumped_' || TG_ARGV[0], 'on', true);
    IF TG_ARGV[0] = 'policy' THEN
      UPDATE security_versions SET policy = policy + 1;
    ELSE
      UPDATE security_versions SET sessions = sessions + 1;
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER casbin_rules_version AFTER INSERT OR UPDATE OR DELETE ON casbin_rules
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_security_version('policy');
CREATE CONSTRAINT TRIGGER accounts_version AFTER UPDATE ON accounts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_security_version('sessions');
CREATE CONSTRAINT TRIGGER sessions_version AFTER UPDATE OF revoked_at, active_county_id ON sessions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.active_county_id IS DISTINCT FROM NEW.active_county_id)
  EXECUTE FUNCTION bump_security_version('sessions');
