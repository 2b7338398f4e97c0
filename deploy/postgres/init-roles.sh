#!/bin/sh
# Creates tuijin's roles and its database on first start of the PostgreSQL
# container: the owner (runs migrations), the application role, which owns
# nothing and cannot bypass Row-Level Security, and the backup role, which
# reads every row and writes nothing (`tuijin backup`).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$TUIJIN_OWNER_PASSWORD" -v app_pw="$TUIJIN_APP_PASSWORD" -v backup_pw="$TUIJIN_BACKUP_PASSWORD" <<'SQL'
CREATE ROLE tuijin_owner LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'owner_pw';
CREATE ROLE tuijin_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_pw';
CREATE ROLE tuijin_backup LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'backup_pw';
CREATE DATABASE tuijin OWNER tuijin_owner;
SQL
