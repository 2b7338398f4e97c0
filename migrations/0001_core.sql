-- Platform core (issue 2): prefectures, counties, organisation, settings,
-- accounts, sessions, casbin rules and the audit chain.
--
-- Tenancy (P1): every county-owned table has county_id, Row-Level Security
-- ENABLED and FORCED, and a policy on current_setting('app.county_id', true).
-- A missing or empty setting matches no row.

CREATE FUNCTION app_county() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('app.county_id', true), '')::uuid
$$;

CREATE TABLE prefectures (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code       text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{6}$'),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE counties (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  prefecture_id uuid NOT NULL REFERENCES prefectures(id),
  code          text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{6}$'),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9-]{1,30}$'),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Units (M3.1, M3.5): townships/streets/zones (乡镇/街区), county departments
-- (县直单位) and enterprises; any unit may also be a service unit (服务单位).
CREATE TABLE units (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id       uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  code            text NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kind            text NOT NULL CHECK (kind IN ('street','town','township','zone','department','enterprise')),
  is_service_unit boolean NOT NULL DEFAULT false,
  parent_id       uuid,
  sort_order      integer NOT NULL DEFAULT 0,
  active          boolean NOT NULL DEFAULT true,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, code),
  UNIQUE (county_id, name),
  UNIQUE (county_id, id),
  FOREIGN KEY (county_id, parent_id) REFERENCES units (county_id, id)
);

CREATE TABLE people (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  post       text NOT NULL DEFAULT '' CHECK (length(post) <= 100),
  rank       text NOT NULL CHECK (rank IN ('county_leader','section_level','other')),
  unit_id    uuid,
  phone      text NOT NULL DEFAULT '' CHECK (phone = '' OR phone ~ '^[0-9+\- ]{5,20}$'),
  active     boolean NOT NULL DEFAULT true,
  version    integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, id),
  FOREIGN KEY (county_id, unit_id) REFERENCES units (county_id, id)
);
CREATE INDEX people_county_name ON people (county_id, name, id);

-- Bodies with members: the leading group (领导小组), the key project office
-- (重点项目办) and the joint inspection groups (联合督导组, numbered 1..n).
CREATE TABLE org_groups (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id    uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  kind         text NOT NULL CHECK (kind IN ('leading_group','project_office','inspection')),
  number       integer NOT NULL DEFAULT 0 CHECK (number BETWEEN 0 AND 99),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  lead_unit_id uuid,
  duty         text NOT NULL DEFAULT '' CHECK (length(duty) <= 500),
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, kind, number),
  UNIQUE (county_id, id),
  FOREIGN KEY (county_id, lead_unit_id) REFERENCES units (county_id, id)
);

CREATE TABLE org_group_members (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id  uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  group_id   uuid NOT NULL,
  person_id  uuid NOT NULL,
  position   text NOT NULL CHECK (position IN ('leader','deputy','member','director','staff')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (group_id, person_id),
  FOREIGN KEY (county_id, group_id) REFERENCES org_groups (county_id, id) ON DELETE CASCADE,
  FOREIGN KEY (county_id, person_id) REFERENCES people (county_id, id)
);

-- Per-county settings (P1), versioned by the date they take effect.
CREATE TABLE settings_versions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_id      uuid NOT NULL DEFAULT app_county() REFERENCES counties(id),
  effective_from date NOT NULL,
  "values"       jsonb NOT NULL,
  reason         text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  created_by     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_id, effective_from)
);

-- Accounts are the login identities. Platform and prefecture accounts have no
-- county; they are reachable only through the SECURITY DEFINER functions below.
CREATE TABLE accounts (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  scope                text NOT NULL CHECK (scope IN ('platform','prefecture','county')),
  prefecture_id        uuid REFERENCES prefectures(id),
  county_id            uuid REFERENCES counties(id),
  username             text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,40}$'),
  display_name         text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 50),
  person_id            uuid,
  password_hash        text NOT NULL,
  disabled             boolean NOT NULL DEFAULT false,
  must_change_password boolean NOT NULL DEFAULT false,
  password_changed_at  timestamptz NOT NULL DEFAULT now(),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK ((scope = 'county') = (county_id IS NOT NULL)),
  CHECK (scope <> 'prefecture' OR prefecture_id IS NOT NULL),
  FOREIGN KEY (county_id, person_id) REFERENCES people (county_id, id)
);

-- Sessions belong to accounts, not to a county: active_county_id is the
-- domain the session currently works in (chosen at login or by the switcher).
CREATE TABLE sessions (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash       bytea NOT NULL UNIQUE,
  account_id       uuid NOT NULL REFERENCES accounts(id),
  active_county_id uuid REFERENCES counties(id),
  client_ip        text NOT NULL DEFAULT '',
  user_agent       text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  revoked_at       timestamptz
);
CREATE INDEX sessions_account ON sessions (account_id) WHERE revoked_at IS NULL;

-- casbin policy storage (P3): p rows are role permissions, g rows role
-- assignments (subject, role, domain).
CREATE TABLE casbin_rules (
  id    bigserial PRIMARY KEY,
  ptype text NOT NULL,
  v0 text NOT NULL DEFAULT '', v1 text NOT NULL DEFAULT '', v2 text NOT NULL DEFAULT '',
  v3 text NOT NULL DEFAULT '', v4 text NOT NULL DEFAULT '', v5 text NOT NULL DEFAULT '',
  UNIQUE (ptype, v0, v1, v2, v3, v4, v5)
);

-- Audit trail: append-only for the application (no UPDATE/DELETE grant),
-- hash-chained per county. county_id is the nil UUID for platform events.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  county_id   uuid NOT NULL DEFAULT app_county(),
  seq         bigint NOT NULL,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_id    uuid,
  actor_name  text NOT NULL DEFAULT '',
  request_id  text NOT NULL DEFAULT '',
  action      text NOT NULL,
  entity_type text NOT NULL,
  entity_id   text NOT NULL DEFAULT '',
  before      jsonb,
  after       jsonb,
  prev_hash   bytea NOT NULL,
  hash        bytea NOT NULL,
  UNIQUE (county_id, seq)
);

CREATE FUNCTION audit_row_hash(prev bytea, county uuid, seq bigint, at timestamptz, actor uuid,
  actor_name text, request_id text, action text, entity_type text, entity_id text, before jsonb, after jsonb)
RETURNS bytea LANGUAGE sql STABLE AS $$
  SELECT sha256(prev || convert_to(concat_ws(E'\x1f',
    county::text, seq::text, extract(epoch FROM at)::text, coalesce(actor::text, ''),
    actor_name, request_id, action, entity_type, entity_id,
    coalesce(before::text, 'null'), coalesce(after::text, 'null')), 'UTF8'))
$$;

-- The chain is built by the database, never by the caller: a writer takes a
-- per-county advisory lock, links to the previous row and computes the hash.
CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_seq  bigint;
  last_hash bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || NEW.county_id::text, 0));
  SELECT a.seq, a.hash INTO last_seq, last_hash
    FROM audit_log a WHERE a.county_id = NEW.county_id ORDER BY a.seq DESC LIMIT 1;
  NEW.seq := coalesce(last_seq, 0) + 1;
  NEW.prev_hash := coalesce(last_hash, '\x'::bytea);
  NEW.at := clock_timestamp();
  NEW.hash := audit_row_hash(NEW.prev_hash, NEW.county_id, NEW.seq, NEW.at, NEW.actor_id, NEW.actor_name,
    NEW.request_id, NEW.action, NEW.entity_type, NEW.entity_id, NEW.before, NEW.after);
  RETURN NEW;
END $$;
CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_chain();

-- Row-Level Security on every county-owned table.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['units','people','org_groups','org_group_members','settings_versions','accounts','audit_log'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY county_isolation ON %I USING (county_id = app_county()) WITH CHECK (county_id = app_county())', t);
  END LOOP;
  -- The auth functions below run as this (owning) role and must find an
  -- account by name or id before any county is known.
  EXECUTE format('CREATE POLICY auth_functions ON accounts USING (current_user = %L)', current_user);
END $$;

-- Auth functions: the only way the application reads accounts across counties.
CREATE FUNCTION auth_account_by_username(p_username text)
RETURNS TABLE (id uuid, scope text, prefecture_id uuid, county_id uuid, username text, display_name text,
  person_id uuid, password_hash text, disabled boolean, must_change_password boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.id, a.scope, coalesce(a.prefecture_id, c.prefecture_id), a.county_id, a.username, a.display_name,
         a.person_id, a.password_hash, a.disabled, a.must_change_password
    FROM accounts a LEFT JOIN counties c ON c.id = a.county_id
   WHERE a.username = lower(p_username)
$$;

CREATE FUNCTION auth_account_by_id(p_id uuid)
RETURNS TABLE (id uuid, scope text, prefecture_id uuid, county_id uuid, username text, display_name text,
  person_id uuid, password_hash text, disabled boolean, must_change_password boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.id, a.scope, coalesce(a.prefecture_id, c.prefecture_id), a.county_id, a.username, a.display_name,
         a.person_id, a.password_hash, a.disabled, a.must_change_password
    FROM accounts a LEFT JOIN counties c ON c.id = a.county_id
   WHERE a.id = p_id
$$;

CREATE FUNCTION auth_set_password(p_id uuid, p_hash text, p_must_change boolean) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE accounts SET password_hash = p_hash, must_change_password = p_must_change,
         password_changed_at = now(), updated_at = now()
   WHERE id = p_id
$$;

-- auth_session resolves a session token (its SHA-256) for one request: it
-- checks the idle and absolute timeouts, touches last_seen_at at most once a
-- minute and sets app.county_id for the current transaction, so a request
-- needs one round trip for BEGIN, session and tenant.
CREATE FUNCTION auth_session(p_token_hash bytea, p_idle interval)
RETURNS TABLE (session_id uuid, account_id uuid, scope text, prefecture_id uuid, home_county_id uuid,
  active_county_id uuid, active_prefecture_id uuid, username text, display_name text, person_id uuid,
  must_change_password boolean, expires_at timestamptz, idle_expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE s sessions%ROWTYPE;
BEGIN
  SELECT * INTO s FROM sessions x
   WHERE x.token_hash = p_token_hash AND x.revoked_at IS NULL
     AND x.expires_at > now() AND x.last_seen_at + p_idle > now();
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF s.last_seen_at < now() - interval '1 minute' THEN
    UPDATE sessions x SET last_seen_at = now() WHERE x.id = s.id;
    s.last_seen_at := now();
  END IF;
  PERFORM set_config('app.county_id', coalesce(s.active_county_id, '00000000-0000-0000-0000-000000000000'::uuid)::text, true);
  RETURN QUERY
    SELECT s.id, a.id, a.scope, coalesce(a.prefecture_id, c.prefecture_id), a.county_id, s.active_county_id,
           ac.prefecture_id, a.username, a.display_name, a.person_id, a.must_change_password,
           s.expires_at, least(s.expires_at, s.last_seen_at + p_idle)
      FROM accounts a LEFT JOIN counties c ON c.id = a.county_id
      LEFT JOIN counties ac ON ac.id = s.active_county_id
     WHERE a.id = s.account_id AND NOT a.disabled;
END $$;
