#!/usr/bin/env bash
# Runs a Replicator pipeline on this machine, building the bundled jar first when it is missing or
# older than the sources.
#
#   ./run-local.sh                          replicate the bundled sample into ./local/warehouse.duckdb
#   ./run-local.sh replicate --opt=value    run a pipeline with options (DirectRunner unless --runner=...)
#   ./run-local.sh sql "SELECT ..."         query the local DuckDB warehouse
#
# JAVA_OPTS is passed to the JVM (e.g. JAVA_OPTS=-Xmx16g for large runs on the DirectRunner).
set -euo pipefail
cd "$(dirname "$0")"

JAR=pipelines/target/replicator-bundled.jar
fail() { echo "run-local.sh: $*" >&2; exit 1; }

command -v java >/dev/null 2>&1 || fail "java is not installed (Java 17 is needed)"

stale=""
if [ ! -f "$JAR" ]; then
  stale="missing"
elif [ -n "$(find pom.xml transforms pipelines -type f \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) \
        -not -path '*/target/*' -newer "$JAR" -print -quit)" ]; then
  stale="older than the sources"
fi
if [ -n "$stale" ]; then
  command -v mvn >/dev/null 2>&1 || fail "the jar is $stale and mvn is not installed to build it"
  mkdir -p local
  echo "run-local.sh: building $JAR (it is $stale); log in local/build.log" >&2
  if ! mvn -B -q -DskipTests install >local/build.log 2>&1; then
    echo "run-local.sh: the build failed; the end of local/build.log:" >&2
    tail -n 30 local/build.log >&2
    exit 1
  fi
fi

if [ $# -eq 0 ]; then
  set -- replicate \
    --table=spind_dly --keys=gvkey,datadate \
    --schema=samples/spind_dly/schema.json \
    --snapshot=samples/spind_dly/snapshot.jsonl --snapshotSequence=1000 \
    --changes=samples/spind_dly/changes.jsonl \
    --staging=local/staging \
    --warehouse=duckdb:local/warehouse.duckdb
  echo "run-local.sh: replicating the bundled sample into local/warehouse.duckdb" >&2
fi

# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -jar "$JAR" "$@"
