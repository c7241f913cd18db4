#!/usr/bin/env bash
# Runs every test, as CI does: installs the PostgreSQL server the JDBC tests start (Debian's
# package) when it is missing, then builds and runs the unit, end-to-end and integration tests.
# Extra arguments go to Maven (e.g. ./run-tests.sh -Dtest=JdbcReloadTest -Dsurefire.failIfNoSpecifiedTests=false).
set -euo pipefail
cd "$(dirname "$0")"
# The JVM reads file names in the locale's charset: a UTF-8 one keeps non-ASCII names intact (s3-sync's directories).
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in *[Uu][Tt][Ff]-8*|*[Uu][Tt][Ff]8*) ;; *) export LC_ALL=C.UTF-8 ;; esac

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run-tests.sh: the PostgreSQL server is not installed; run: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  echo "run-tests.sh: installing the PostgreSQL server (Debian package postgresql)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

exec mvn -B verify "$@"
