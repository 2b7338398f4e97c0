#!/bin/sh
# Creates tuijin's two roles and its database on first start of the
# PostgreSQL container: the owner (runs migrations) and the application
# role, which owns nothing and cannot bypass Row-Level Security.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$TUIJIN_OWNER_PASSWORD" -v app_pw="$TUIJIN_APP_PASSWORD" <<'SQL'
CREATE ROLE tuijin_owner LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'owner_pw';
CREATE ROLE tuijin_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_pw';
CREATE DATABASE tuijin OWNER tuijin_owner;
SQL
