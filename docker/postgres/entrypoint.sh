#!/bin/sh
# First start: a cluster in PGDATA with the role POSTGRES_USER owning the database POSTGRES_DB.
# Passwords (scram-sha-256) when POSTGRES_PASSWORD is set, else trust for TCP clients: only for a
# server that listens on loopback (POSTGRES_LISTEN=127.0.0.1, the default), as in compose.yaml.
# Then PostgreSQL in the foreground on POSTGRES_LISTEN:POSTGRES_PORT.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then auth=scram-sha-256; else auth=trust; fi
    initdb --pgdata="$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host="$auth" >/dev/null
    password=""
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        password=" PASSWORD '$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")'"
    fi
    # single-user mode: no server is listening while the role and database are made
    postgres --single -D "$PGDATA" postgres >/dev/null <<SQL
CREATE ROLE "$POSTGRES_USER" LOGIN$password;
CREATE DATABASE "$POSTGRES_DB" OWNER "$POSTGRES_USER";
SQL
    echo "tomtat-postgres: cluster created in $PGDATA (role $POSTGRES_USER, database $POSTGRES_DB, auth $auth)"
fi
exec postgres -D "$PGDATA" -c listen_addresses="$POSTGRES_LISTEN" -p "$POSTGRES_PORT" \
    -c unix_socket_directories=/tmp -c log_destination=stderr "$@"
