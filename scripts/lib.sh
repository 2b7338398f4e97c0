# Shared set-up for scripts/run.sh and scripts/test.sh: start or reuse the
# local services tuijin needs, installing what is missing.
set -euo pipefail

export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo /root/go)/bin"
PGHOST_ADDR=${PGHOST_ADDR:-127.0.0.1}
ADMIN_URL=${TUIJIN_TEST_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
STATE_DIR=${TUIJIN_STATE_DIR:-$HOME/.local/share/tuijin}
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
HELM_VERSION=v3.22.0

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# apt_install installs Debian packages (quietly, without questions).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ensure_postgres starts PostgreSQL on 127.0.0.1:5432, first installing
# Debian's postgresql (the distribution's version: 15 on Debian 12) when the
# machine has none. A cluster this script created accepts local TCP
# connections without a password (trust on 127.0.0.1 and ::1 only), as a
# development machine's; an existing cluster's settings are left alone.
ensure_postgres() {
  if pg_isready -q -h "$PGHOST_ADDR" -p 5432 2>/dev/null; then return; fi
  local ver fresh=
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -z "$ver" ]; then
    say "installing PostgreSQL (Debian's postgresql package)"
    apt_install postgresql postgresql-client
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
    [ -n "$ver" ] || { echo "apt-get installed postgresql but made no cluster in /etc/postgresql" >&2; exit 1; }
    fresh=1
  fi
  if [ -n "$fresh" ]; then
    local hba=/etc/postgresql/$ver/main/pg_hba.conf
    { printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'; cat "$hba"; } >"$hba.new" && mv "$hba.new" "$hba"
    chown postgres:postgres "$hba"
  fi
  say "starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST_ADDR" -p 5432 && return; sleep 1; done
  echo "PostgreSQL did not start" >&2; exit 1
}

# ensure_redis starts Redis on 127.0.0.1:6379 (nothing kept on disk: jobs of
# a development machine), first installing Debian's redis-server if missing.
ensure_redis() {
  if command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return; fi
  if ! command -v redis-server >/dev/null 2>&1; then
    say "installing Redis (Debian's redis-server package)"
    apt_install redis-server
  fi
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return; sleep 0.5; done
  echo "Redis did not start" >&2; exit 1
}

ensure_minio() {
  if curl -fsS -o /dev/null http://127.0.0.1:9000/minio/health/live 2>/dev/null; then return; fi
  if ! command -v minio >/dev/null 2>&1; then
    say "installing the MinIO server (about 5 minutes the first time)"
    go install "github.com/minio/minio@$MINIO_VERSION"
  fi
  say "starting MinIO on 127.0.0.1:9000"
  mkdir -p "$STATE_DIR/minio"
  MINIO_ROOT_USER=${TUIJIN_S3_ACCESS_KEY:-minioadmin} MINIO_ROOT_PASSWORD=${TUIJIN_S3_SECRET_KEY:-minioadmin} \
    nohup minio server "$STATE_DIR/minio" --address 127.0.0.1:9000 --console-address 127.0.0.1:9001 \
    >"$STATE_DIR/minio.log" 2>&1 &
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null http://127.0.0.1:9000/minio/health/live 2>/dev/null && return
    sleep 1
  done
  echo "MinIO did not start; see $STATE_DIR/minio.log" >&2; exit 1
}

ensure_helm() {
  if command -v helm >/dev/null 2>&1 && helm version --short 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; then return; fi
  say "installing helm $HELM_VERSION (a few minutes the first time)"
  go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

# ensure_chromium installs Debian's Chromium and a CJK font (for the
# browser tests and their screenshots).
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk\|droid sans fallback"; then return; fi
  say "installing chromium and a CJK font"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
}

# ensure_fonts installs the fonts embedded in PDF bulletins (TUIJIN_PDF_FONT's
# default); ensure_document_tools adds what the tests read the
# bulletin files back with: pdftotext and LibreOffice (xlsx to CSV).
ensure_fonts() {
  if [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && [ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] &&
     [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then return; fi
  say "installing the PDF bulletins' fonts (fonts-wqy-microhei, fonts-droid-fallback, fonts-dejavu-core)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends fonts-wqy-microhei fonts-droid-fallback fonts-dejavu-core >/dev/null
}

ensure_document_tools() {
  ensure_fonts
  if command -v pdftotext >/dev/null 2>&1 && command -v soffice >/dev/null 2>&1 &&
    ls /usr/lib/libreoffice/program/libswlo.so >/dev/null 2>&1; then return; fi
  say "installing poppler-utils and LibreOffice Calc and Writer (a few minutes the first time)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends poppler-utils libreoffice-calc-nogui libreoffice-writer-nogui >/dev/null
}

# ensure_roles creates the owning role, the application role (which owns
# nothing and cannot bypass Row-Level Security) and the backup role (reads
# every row, writes nothing: `tuijin migrate` grants it SELECT).
ensure_roles() {
  psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -q <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tuijin_owner') THEN
    CREATE ROLE tuijin_owner LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB PASSWORD 'tuijin_owner';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tuijin_app') THEN
    CREATE ROLE tuijin_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'tuijin_app';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tuijin_backup') THEN
    CREATE ROLE tuijin_backup LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'tuijin_backup';
  END IF;
END $$;
SQL
}

ensure_database() {
  local name=$1
  if ! psql "$ADMIN_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    say "creating database $name"
    psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $name OWNER tuijin_owner"
  fi
}
