#!/usr/bin/env bash
# One database and one login per service, each login owning only its own database;
# no other login may connect to it. The postgres image runs this on first start (an
# empty data volume); it is also safe to run again, or against an external server:
#   PGHOST=db.example.com PGUSER=postgres BOOKSTORE_DB_PASSWORD=... bash docker/postgres-init.sh
# Names are bookstore_<service>, as common/registry.py derives them (make check-compose
# checks the list below against it). Every login gets BOOKSTORE_DB_PASSWORD; in
# production give each service its own (ALTER ROLE ... PASSWORD) and its own DATABASE_URL.
set -eo pipefail  # no -u: the postgres image may source this into its entrypoint

: "${BOOKSTORE_DB_PASSWORD:?set BOOKSTORE_DB_PASSWORD, the password of the service logins}"
prefix=${BOOKSTORE_DB_PREFIX:-bookstore_}
services="gateway book order customer cart payment notification inventory"

for service in $services; do
  psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-${PGUSER:-postgres}}" \
    --dbname "${POSTGRES_DB:-postgres}" -v name="$prefix$service" -v password="$BOOKSTORE_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I', :'name') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'name', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "database and login $prefix$service ready"
done
