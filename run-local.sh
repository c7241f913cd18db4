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
# The JVM reads file names in the locale's charset: a UTF-8 one keeps non-ASCII names intact (s3-sync's directories).
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in *[Uu][Tt][Ff]-8*|*[Uu][Tt][Ff]8*) ;; *) export LC_ALL=C.UTF-8 ;; esac

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
  # Only what the jar needs: the test-only modules (a Kafka broker, Debezium) are for ./run-tests.sh.
  if ! mvn -B -q -DskipTests install -pl pipelines -am >local/build.log 2>&1; then
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

# The s3-sync benchmark runs its peers side by side: install Debian's when missing (as run-tests.sh
# installs PostgreSQL).
if [ "${1:-}" = bench ] && [ "${2:-}" = s3-sync ] && { [ ! -x /usr/bin/rclone ] || [ ! -x /usr/bin/aws ]; }; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-local.sh: installing rclone and awscli (Debian packages) for the benchmark" >&2
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone awscli >/dev/null; } \
      || echo "run-local.sh: installing rclone and awscli failed; --tools=replicator runs without them" >&2
  else
    echo "run-local.sh: the benchmark runs rclone and aws: sudo apt-get install -y rclone awscli (or --tools=replicator)" >&2
  fi
fi

# The heap in transparent huge pages where the kernel gives them on request: fewer page faults as
# a short run touches fresh memory (figures below).
HUGE_PAGES=""
if grep -qs '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled; then
  HUGE_PAGES="-XX:+UseTransparentHugePages"
fi

# JVM settings per pipeline; JAVA_OPTS comes after them, so it wins.
case "${1:-}" in
  # Short and I/O bound: C2 compiling and G1's threads would only take cores from the server calls
  # (measured: a 10,000-object sync used half the CPU with C1 only and the serial collector). The
  # young generation starts at 32 MB, not the JVM's third of the starting heap (about 120 MB here):
  # a first sync of 10,004 objects took 5.05 s against 5.42 s, an empty one 1.53 s against 1.73 s,
  # with less system time (fresh memory touched) and 185 MB of RSS against 270 MB (2026-12-04,
  # alternated runs); it grows with the heap on a large bucket. In huge pages, an empty sync took
  # 1.13-1.19 s against 1.26-1.32 s and a first sync 4.07-4.36 s (mean 4.25 s) against 4.10-4.51 s
  # (4.31 s), 3 MB more RSS (2026-12-04, four and six alternated runs).
  s3-sync) JVM_FLAGS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:NewSize=32m $HUGE_PAGES" ;;
  # A batch run on the DirectRunner holds one batch (--batchMaxBytes, 256 MB) per core while it
  # reduces it, and nothing else grows with the table: 512 MB of heap per core bounds the process
  # (measured: 8M rows load in 2.2 GB of RSS, DuckDB's 1 GB included), where the JVM's default of
  # a quarter of the machine would be filled before it collects. Embedded Flink sizes its own
  # memory, and a stream holds a whole window. The throughput collector, for a run that ends: G1's
  # concurrent work took CPU from it (a 2,000,000-row load: 22.1-23.8 s against 25.0-26.0 s, three
  # runs each, 2026-12-02); a stream keeps G1's short pauses. The heap starts at its bound (from the
  # JVM's default start, a 64th of the machine, a load made two more full collections and 0.8 s
  # more pauses while the heap grew), and in transparent huge pages where the kernel gives them on
  # request: a 2,000,000-row load took 15.9-16.3 s against 17.5-18.7 s, an empty run 2.6-2.9 s
  # against 2.9-3.1 s (2026-12-03, three runs of each alternated; the same peak RSS).
  replicate)
    if [[ " $* " != *" --runner=FlinkRunner "* && " $* " != *" --streaming=true "* && " $* " != *" --streaming "* ]]; then
      cores=$(nproc 2>/dev/null || echo 2)
      heap="$(( cores > 2 ? cores * 512 : 1024 ))m"
      JVM_FLAGS="-Xmx$heap -XX:+UseParallelGC"
      # A heap set in JAVA_OPTS (a smaller -Xmx, say) starts where the JVM starts it.
      if [[ " ${JAVA_OPTS:-} " != *" -Xm"[sx]* ]]; then
        JVM_FLAGS="-Xms$heap $JVM_FLAGS"
      fi
      JVM_FLAGS="$JVM_FLAGS $HUGE_PAGES"
    else
      JVM_FLAGS=""
    fi
    # A batch run, on either local runner: C2 compiles only what runs many times more than the JVM's
    # default asks. By default it spent 3.0 s of CPU in an empty run (429 methods of building and
    # translating the pipeline, which run once) and 9.9 s in a 2,000,000-row load, about two thirds of
    # a core through the read. At 30 times the thresholds: 0.15 s and 2.5 s; an empty run 2.55-2.75 s
    # against 3.11-3.20 s, the load 14.7-16.2 s against 15.8-18.7 s on the DirectRunner and 18.4-23.4 s
    # against 24.6-26.5 s on embedded Flink (2026-12-03, alternated runs); the per-row methods looked
    # at (the line reader, the staged line's encoder, the batch id) still reached C2 within a second
    # of their first compilation. A stream keeps the defaults.
    if [[ " $* " != *" --streaming=true "* && " $* " != *" --streaming "* ]]; then
      JVM_FLAGS="$JVM_FLAGS -XX:Tier4InvocationThreshold=150000 -XX:Tier4MinInvocationThreshold=18000"
      JVM_FLAGS="$JVM_FLAGS -XX:Tier4CompileThreshold=450000 -XX:Tier4BackEdgeThreshold=1200000"
    fi
    ;;
  *) JVM_FLAGS="" ;;
esac

# Out of memory, the JVM kills itself at once (exit 137, "Killed"; 3 is verify's). After running
# out of heap in a step, the DirectRunner was seen to finish the run with that step's bundle lost; the
# steps after it would then commit source positions (a slot confirmed, Kafka offsets) past changes
# never merged. Measured: a scheduled slot run out of heap exited 0 with the slot confirmed past
# 3,000,000 unmerged changes; stopped at once, the slot stays where it was, and the next run
# recovers as from any crash.
OOM_FLAG="-XX:OnOutOfMemoryError=kill -9 %p"

# Class-data sharing: the first run of a pipeline after a build writes an archive of the classes it
# loaded; later runs map it instead of loading them from the jar (0.7 s less on an empty s3-sync).
case "${1:-}" in
  replicate|verify|s3-sync)
    if [[ " $* " != *" --help "* ]]; then
      mkdir -p local/jvm
      cds="local/jvm/$1.jsa"
      JVM_FLAGS="$JVM_FLAGS -Xlog:cds=off -Xlog:cds+dynamic=off"
      if [ -f "$cds" ] && [ "$cds" -nt "$JAR" ]; then
        JVM_FLAGS="$JVM_FLAGS -XX:SharedArchiveFile=$cds"
      else
        # Written aside and moved when the run ends, so that a run in parallel never maps half a file.
        rm -f "$cds"
        # shellcheck disable=SC2086
        java $JVM_FLAGS "$OOM_FLAG" -XX:ArchiveClassesAtExit="$cds.$$" ${JAVA_OPTS:-} -jar "$JAR" "$@" &
        child=$!
        # Ctrl-C or a kill stops the JVM as it would stop without this script around it.
        trap 'kill -TERM "$child" 2>/dev/null' INT TERM
        rc=0
        wait "$child" || rc=$?
        while kill -0 "$child" 2>/dev/null; do wait "$child" || rc=$?; done
        if [ -f "$cds.$$" ]; then mv -f "$cds.$$" "$cds"; fi
        exit "$rc"
      fi
    fi
    ;;
esac

# shellcheck disable=SC2086
exec java $JVM_FLAGS "$OOM_FLAG" ${JAVA_OPTS:-} -jar "$JAR" "$@"
