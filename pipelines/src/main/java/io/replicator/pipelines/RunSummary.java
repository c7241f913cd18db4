package io.replicator.pipelines;

import io.replicator.batch.SpillBatches;
import io.replicator.batch.StageBatches;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.TargetTable;
import io.replicator.common.ByteSize;
import io.replicator.common.Counters;
import io.replicator.source.ReadChanges;
import io.replicator.source.WriteDeadLetters;
import io.replicator.source.jdbc.Lsn;
import io.replicator.source.jdbc.ReadJdbcSnapshot;
import io.replicator.source.postgres.ReadSlotChanges;
import io.replicator.source.postgres.ReplicationSlot;
import io.replicator.stream.CommitProgress;
import io.replicator.stream.DecodeEvents;
import io.replicator.stream.PairSplitKeyChanges;
import io.replicator.stream.ReadSlotStream;
import io.replicator.warehouse.ApplyReload;
import io.replicator.warehouse.MergeBatches;
import io.replicator.warehouse.RowsWithoutBase;
import io.replicator.warehouse.bigquery.WriteChangesToBigQuery;
import io.replicator.warehouse.spi.Warehouse;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/** The end-of-run summary, from the pipeline's metrics counters. */
public final class RunSummary {
  private final Map<String, Long> counters;
  private final Map<String, Long> maxima;
  /** Table → its lag gauge's latest value (streams only). */
  private final Map<String, Long> lags;
  /** The dead-letter files the run wrote, sorted. */
  private final List<String> deadLetterFiles;
  private final long wallMillis;

  private RunSummary(Map<String, Long> counters, Map<String, Long> maxima, Map<String, Long> lags,
      List<String> deadLetterFiles, long wallMillis) {
    this.counters = counters;
    this.maxima = maxima;
    this.lags = lags;
    this.deadLetterFiles = deadLetterFiles;
    this.wallMillis = wallMillis;
  }

  /** A summary of the given counters (tests). */
  static RunSummary ofCounters(Map<String, Long> counters, long wallMillis) {
    return new RunSummary(Map.copyOf(counters), Map.of(), Map.of(), List.of(), wallMillis);
  }

  public static RunSummary of(PipelineResult result, long wallMillis) {
    Map<String, Long> counters = new HashMap<>();
    MetricQueryResults metrics = result.metrics().queryMetrics(MetricsFilter.builder().build());
    for (MetricResult<Long> c : metrics.getCounters()) {
      if (!c.getName().getNamespace().equals(Counters.NAMESPACE)) {
        continue;
      }
      Long value = value(c);
      counters.merge(c.getName().getName(), value == null ? 0 : value, Long::sum);
    }
    Map<String, Long> maxima = new HashMap<>();
    for (var d : metrics.getDistributions()) {
      if (d.getName().getNamespace().equals(Counters.NAMESPACE)) {
        var value = value(d);
        if (value != null) {
          maxima.merge(d.getName().getName(), value.getMax(), Math::max);
        }
      }
    }
    TreeSet<String> deadLetterFiles = new TreeSet<>();
    for (var set : metrics.getStringSets()) {
      if (set.getName().getNamespace().equals(Counters.NAMESPACE)
          && set.getName().getName().equals(WriteDeadLetters.FILES_WRITTEN)) {
        var value = value(set);
        if (value != null) {
          deadLetterFiles.addAll(value.getStringSet());
        }
      }
    }
    Map<String, Long> lags = new TreeMap<>();
    for (var g : metrics.getGauges()) {
      String name = g.getName().getName();
      if (g.getName().getNamespace().equals(Counters.NAMESPACE) && name.startsWith(CommitProgress.LAG_PREFIX)) {
        var value = value(g);
        if (value != null) {
          lags.put(name.substring(CommitProgress.LAG_PREFIX.length()), value.getValue());
        }
      }
    }
    return new RunSummary(counters, maxima, lags, List.copyOf(deadLetterFiles), wallMillis);
  }

  /** The committed value; some runners report attempted values only. */
  private static <T> T value(MetricResult<T> r) {
    try {
      return r.getCommitted();
    } catch (UnsupportedOperationException e) {
      return r.getAttempted();
    }
  }

  /** The dead-letter files the run wrote (absolute paths, sorted). */
  List<String> deadLetterFiles() {
    return deadLetterFiles;
  }

  public long get(String counter) {
    return counters.getOrDefault(counter, 0L);
  }

  /** The largest value a distribution saw, or 0. */
  public long max(String distribution) {
    return maxima.getOrDefault(distribution, 0L);
  }

  /** Bytes per second a database snapshot was read at: its bytes over its slowest reader's time. */
  public double sourceBytesPerSecond() {
    long millis = max(ReadJdbcSnapshot.READER_MILLIS);
    return millis == 0 ? 0 : get(ReadJdbcSnapshot.BYTES_READ) * 1000.0 / millis;
  }

  public long wallMillis() {
    return wallMillis;
  }

  /** Rows read per second of wall time. */
  public double rowsPerSecond() {
    return wallMillis == 0 ? 0 : rowsRead() * 1000.0 / wallMillis;
  }

  /** Lines of files, rows of a database table and row changes of a replication slot. */
  private long rowsRead() {
    return get(ReadChanges.LINES_READ) + get(ReadJdbcSnapshot.ROWS_READ) + get(ReadSlotChanges.ROW_CHANGES_READ);
  }

  /**
   * The summary of a batch run.
   *
   * @param collectedAtStart {@link #collectionMillis} when the run started: in a JVM that ran other
   *     pipelines before (tests, a caller of {@code Main.run}), only this run's pauses are counted
   */
  public String render(ReplicatePipeline.Launched run, long collectedAtStart) {
    StringBuilder sb = new StringBuilder();
    sb.append("replicate ").append(run.table()).append(": done in ")
        .append(String.format(Locale.ROOT, "%.1f s", wallMillis / 1000.0)).append('\n');
    String at = run.snapshotSequence() != null ? " (snapshot rows at _sequence_num " + run.snapshotSequence() + ")" : "";
    if (run.snapshotSource() != null) {
      line(sb, "read", get(ReadJdbcSnapshot.ROWS_READ), "rows of " + run.snapshotSource() + at);
      sb.append(String.format(Locale.ROOT, "  %-11s %s at %s/s%s%n", "", ByteSize.format(get(ReadJdbcSnapshot.BYTES_READ)),
          ByteSize.format((long) sourceBytesPerSecond()),
          run.plan().jdbc().maxThroughput() > 0 ? " (bound " + ByteSize.format((long) run.plan().jdbc().maxThroughput()) + "/s)" : ""));
      at = "";
    }
    if (get(ReadChanges.FILES_READ) > 0 || (run.snapshotSource() == null && run.slot() == null)) {
      line(sb, "read", get(ReadChanges.LINES_READ), "lines from " + get(ReadChanges.FILES_READ) + " files" + at);
    }
    if (run.slot() != null) {
      ReplicationSlot.State state = run.slot().state();
      line(sb, "read", get(ReadSlotChanges.ROW_CHANGES_READ), "row changes in " + get(ReadSlotChanges.TRANSACTIONS_READ)
          + " transactions from replication slot "
          + run.slot().slot().slot() + ", committed from LSN " + Lsn.text(state.confirmed()) + " to "
          + Lsn.text(state.end()) + (state.created() ? " (slot created by this run)" : ""));
      sb.append(String.format(Locale.ROOT, "  %-11s slot confirmed to LSN %s: the next run reads from there%n", "",
          Lsn.text(state.end())));
      if (get(ReadSlotChanges.TRUNCATES_APPLIED) > 0) {
        line(sb, "truncated", get(ReadSlotChanges.TRUNCATES_APPLIED), "TRUNCATE applied: every row before it deleted");
      }
      long maxLag = run.plan().slot().maxLagBytes();
      sb.append(String.format(Locale.ROOT, "  %-11s the slot kept %s of WAL on the source at the start%s%n", "",
          ByteSize.format(state.retainedBytes()), state.retainedBytes() > maxLag ? ", more than --maxSlotLag="
              + ByteSize.format(maxLag) + ": run more often, or the source's disk fills" : ""));
    }
    long rejected = get(ReadChanges.REJECTED);
    line(sb, "rejected", rejected, rejected == 0 ? "" : "dead letters in "
        + deadLetterFiles(run.deadLetter()));
    if (get(ReadChanges.SKIPPED) > 0) {
      line(sb, "skipped", get(ReadChanges.SKIPPED), "events without a row change (tombstones, heartbeats)");
    }
    line(sb, "changes", get(ReadChanges.CHANGES_DECODED), "after key changes were split in two");
    line(sb, "superseded", get(StageBatches.CHANGES_SUPERSEDED), "by a later change to the same key in the input");
    if (run.plan().warehouse().cdc()) {
      line(sb, "upserted", get(WriteChangesToBigQuery.ROWS_UPSERTED), "rows written as BigQuery CDC upserts");
      line(sb, "deleted", get(WriteChangesToBigQuery.ROWS_DELETED), "rows written as BigQuery CDC deletes");
      long refused = get(WriteChangesToBigQuery.ROWS_REFUSED);
      line(sb, "refused", refused, refused == 0 ? "" : "rows BigQuery refused: dead letters in "
          + deadLetterFiles(run.deadLetter()));
      sb.append(String.format(Locale.ROOT, "  %-11s BigQuery applies them within --maxStaleness%n", ""));
      sb.append(String.format(Locale.ROOT, "  %-11s %,.0f rows/s%n", "rate", rowsPerSecond()));
      return sb.toString();
    }
    line(sb, "staged", get(StageBatches.ROWS_STAGED), "rows in " + get(StageBatches.BATCHES_STAGED) + " batches, "
        + ByteSize.format(get(StageBatches.BYTES_STAGED)));
    long batchesMerged = get(MergeBatches.BATCHES_MERGED);
    long merges = get(MergeBatches.MERGES);
    // Batches merged together (DuckDB, a reload) took fewer merges than batches.
    String together = merges > 0 && merges < batchesMerged
        ? " as " + merges + plural(merges, " change set", " change sets") : "";
    line(sb, "merged", batchesMerged, "batches" + together + (get(MergeBatches.BATCHES_ALREADY_APPLIED) > 0
        ? " (" + get(MergeBatches.BATCHES_ALREADY_APPLIED) + " already applied by an earlier run, skipped)" : ""));
    line(sb, "inserted", get(MergeBatches.ROWS_INSERTED), "rows");
    line(sb, "updated", get(MergeBatches.ROWS_UPDATED), "rows");
    line(sb, "deleted", get(MergeBatches.ROWS_DELETED), "rows");
    line(sb, "ignored", get(MergeBatches.CHANGES_IGNORED), "changes older than the target's row or tombstone (replays)");
    partialWithoutBase(sb);
    if (get(MergeBatches.MERGE_SLOT_MILLIS) > 0 || get(MergeBatches.MERGE_BYTES_PROCESSED) > 0) {
      long merged = Math.max(1, get(MergeBatches.BATCHES_MERGED));
      line(sb, "processed", get(MergeBatches.MERGE_BYTES_PROCESSED), "bytes read by the MERGEs ("
          + ByteSize.format(get(MergeBatches.MERGE_BYTES_PROCESSED) / merged) + " per batch; on-demand"
          + " pricing bills this)");
      line(sb, "slot-ms", get(MergeBatches.MERGE_SLOT_MILLIS), "of compute in the MERGEs ("
          + String.format(Locale.ROOT, "%,d", get(MergeBatches.MERGE_SLOT_MILLIS) / merged) + " per batch)");
    }
    if (run.plan().snapshot().replace()) {
      line(sb, "removed", get(ApplyReload.ROWS_REMOVED_BY_RELOAD), "rows the reload no longer has");
      if (get(ApplyReload.ROWS_KEPT_FOR_REJECTED_LINES) > 0) {
        line(sb, "kept", get(ApplyReload.ROWS_KEPT_FOR_REJECTED_LINES), "rows whose reload line was rejected");
      }
    }
    sb.append(String.format(Locale.ROOT, "  %-11s %,.0f rows/s%n", "rate", rowsPerSecond()));
    boolean inThisJvm = run.result() instanceof DirectRunner.DirectPipelineResult;
    timeByStage(sb, inThisJvm ? collectionMillis() - collectedAtStart : -1);
    return sb.toString();
  }

  /**
   * Where the time went, per stage: CPU per row read of decoding, reducing and staging (where the
   * run measured them), wall time in the warehouse's loads and merges, and, for a pipeline that ran
   * in this JVM ({@code gcMillis} not negative), the time the collector stopped it: the stages'
   * thread CPU leaves those pauses out, and on the DirectRunner they were a tenth of a load's wall
   * time (1.7-2.0 s of a 2,000,000-row load's 17-20 s, 2026-12-03).
   */
  private void timeByStage(StringBuilder sb, long gcMillis) {
    // Per row read: lines of files and rows of a database alike.
    long rows = Math.max(1, rowsRead());
    StringJoiner cpu = new StringJoiner(", ", "CPU per row read: ", "; ").setEmptyValue("");
    for (String[] stage : new String[][] {{SpillBatches.DECODE_CPU_NANOS, "decode"},
        {StageBatches.REDUCE_CPU_NANOS, "reduce"}, {StageBatches.STAGE_CPU_NANOS, "stage"}}) {
      long nanos = get(stage[0]);
      if (nanos > 0) {
        cpu.add(String.format(Locale.ROOT, "%s %.1f µs", stage[1], nanos / 1000.0 / rows));
      }
    }
    long load = get(Warehouse.LOAD_WALL_MILLIS);
    long merge = get(MergeBatches.MERGE_WALL_MILLIS) - load;
    String wall = load > 0
        ? String.format(Locale.ROOT, "%.1f s loading staged files and %.1f s merging them", load / 1000.0, merge / 1000.0)
        : String.format(Locale.ROOT, "%.1f s in the warehouse's merges", merge / 1000.0);
    if (gcMillis >= 0) {
      wall += String.format(Locale.ROOT, "; %.1f s paused for garbage collection", gcMillis / 1000.0);
    }
    sb.append(String.format(Locale.ROOT, "  %-11s %s%s%n", "time", cpu, wall));
  }

  /** The time this JVM's collectors have taken since it started: pauses, with the collectors run-local.sh picks. */
  static long collectionMillis() {
    long millis = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      millis += Math.max(0, gc.getCollectionTime());
    }
    return millis;
  }

  /** The partial rows no row could complete, when there are some (they are among the dead letters). */
  private void partialWithoutBase(StringBuilder sb) {
    long completed = get(PartialKeyMoves.COMPLETED);
    if (completed > 0) {
      line(sb, "completed", completed, "key moves that left TOASTed columns out, from the old key's row");
    }
    long n = get(RowsWithoutBase.PARTIAL_ROWS_WITHOUT_BASE);
    if (n > 0) {
      line(sb, "incomplete", n, "updates that left columns out, of keys the target does not hold (dead letters)");
    }
  }

  /** What a stream did until now (or until it was stopped). */
  String renderStream(ReplicateStreamPipeline.Launched run) {
    return renderStream(run, null);
  }

  /** @param confirmed where a run that read a slot once left it confirmed, or null */
  String renderStream(ReplicateStreamPipeline.Launched run, Long confirmed) {
    StringBuilder sb = new StringBuilder();
    sb.append(run.once() ? "replicate " : "replicate --streaming ").append(run.tableNames())
        .append(run.once() ? ": done in " : ": ran ").append(String.format(Locale.ROOT, "%.1f s", wallMillis / 1000.0))
        .append('\n');
    boolean slot = run.plan().source().kind() == StreamSourcePlan.Kind.SLOT;
    if (slot) {
      if (!run.readWhole().isEmpty()) {
        sb.append(String.format(Locale.ROOT, "  %-11s %s whole at the slot's position first%n", "read",
            String.join(", ", run.readWhole())));
      }
      line(sb, "read", get(ReadSlotChanges.ROW_CHANGES_READ), "row changes in " + get(ReadSlotChanges.TRANSACTIONS_READ)
          + " transactions from " + run.plan().source().describe());
      if (confirmed != null) {
        sb.append(String.format(Locale.ROOT, "  %-11s slot confirmed to LSN %s: the next run reads from there%n", "",
            Lsn.text(confirmed)));
      }
      if (get(ReadSlotStream.TRUNCATES_APPLIED) > 0) {
        line(sb, "truncated", get(ReadSlotStream.TRUNCATES_APPLIED), "TRUNCATE applied: every row before it deleted");
      }
    } else {
      line(sb, "read", get(DecodeEvents.EVENTS_READ), "events from " + run.plan().source().describe());
    }
    if (get(DecodeEvents.OTHER_TABLES) > 0) {
      line(sb, "other", get(DecodeEvents.OTHER_TABLES), "events of tables this run does not replicate");
    }
    long rejected = get(ReadChanges.REJECTED);
    line(sb, "rejected", rejected, rejected == 0 ? "" : "dead letters in "
        + deadLetterFiles(run.plan().staging().deadLetter()));
    line(sb, "skipped", get(ReadChanges.SKIPPED), slot ? "changes of other tables the publication has"
        : "events without a row change (tombstones, heartbeats)");
    line(sb, "changes", get(ReadChanges.CHANGES_DECODED), "after key changes were split in two");
    if (get(PairSplitKeyChanges.UNPAIRED) > 0) {
      line(sb, "unpaired", get(PairSplitKeyChanges.UNPAIRED), "halves of key changes that went on without the other"
          + " after --keyChangePairWait (a create alone is a dead letter)");
    }
    line(sb, "superseded", get(StageBatches.CHANGES_SUPERSEDED), "by a later change to the same key in its window");
    line(sb, "merged", get(MergeBatches.BATCHES_MERGED), plural(get(MergeBatches.BATCHES_MERGED), "batch", "batches")
        + " in " + get(CommitProgress.WINDOWS_COMMITTED) + plural(get(CommitProgress.WINDOWS_COMMITTED), " window", " windows"));
    line(sb, "inserted", get(MergeBatches.ROWS_INSERTED), "rows");
    line(sb, "updated", get(MergeBatches.ROWS_UPDATED), "rows");
    line(sb, "deleted", get(MergeBatches.ROWS_DELETED), "rows");
    line(sb, "ignored", get(MergeBatches.CHANGES_IGNORED), "changes older than the target's row or tombstone (replays)");
    partialWithoutBase(sb);
    if (get(DecodeEvents.COLUMNS_ADDED) > 0) {
      line(sb, "columns", get(DecodeEvents.COLUMNS_ADDED), "added to targets (new nullable columns at the source)");
    }
    for (TargetTable t : run.tables()) {
      Long lag = lags.get(t.name());
      long batches = get(CommitProgress.BATCHES_PREFIX + t.name());
      sb.append(String.format(Locale.ROOT, "  %-11s %,d rows merged in %,d %s%s%n", t.name(),
          get(CommitProgress.ROWS_PREFIX + t.name()), batches, plural(batches, "batch", "batches"),
          lag == null ? "" : String.format(Locale.ROOT, ", lag %.1f s (source change to merged, last window)", lag / 1000.0)));
    }
    return sb.toString();
  }

  /**
   * The summary of a stream run as a Flink job this process submitted and then stopped: Flink gives
   * a running streaming job's Beam counters to no one but its own metrics (the web UI, a reporter),
   * so this says where to look and how far each table's merges got.
   *
   * @param mergedUpTo table → the highest sequence its target holds
   */
  static String renderFlinkStream(ReplicateStreamPipeline.Launched run, long wallMillis, Map<String, Long> mergedUpTo) {
    StringBuilder sb = new StringBuilder();
    sb.append("replicate --streaming ").append(run.tableNames()).append(": ran ")
        .append(String.format(Locale.ROOT, "%.1f s", wallMillis / 1000.0)).append(" as a Flink job, then cancelled\n")
        .append("  counters    not reported: a streaming Flink job shows its counters in the Flink web UI (the job's\n")
        .append("              Metrics tab) or a metrics reporter, not to the launcher\n");
    for (TargetTable t : run.tables()) {
      Long seq = mergedUpTo.get(t.name());
      sb.append(String.format(Locale.ROOT, "  %-11s %s%n", t.name(),
          seq == null || seq == 0 ? "nothing merged yet" : "merged up to sequence " + seq));
    }
    return sb.toString();
  }

  /** Where the run's dead letters are: its files (the first few), else every dead-letter file of the directory. */
  private String deadLetterFiles(String directory) {
    if (deadLetterFiles.isEmpty()) {
      return WriteDeadLetters.files(directory);
    }
    List<String> files = deadLetterFiles.stream().map(RunSummary::relative).toList();
    if (files.size() <= 2) {
      return String.join(", ", files);
    }
    return files.size() + " files: " + files.get(0) + ", " + files.get(1) + ", ...";
  }

  /** A local path under the working directory as relative to it, as the user likely gave it. */
  private static String relative(String path) {
    String here = java.nio.file.Path.of("").toAbsolutePath() + "/";
    return path.startsWith(here) ? path.substring(here.length()) : path;
  }

  private static String plural(long n, String one, String many) {
    return n == 1 ? one : many;
  }

  private static void line(StringBuilder sb, String label, long value, String what) {
    sb.append(String.format(Locale.ROOT, "  %-11s %,d %s%n", label, value, what).replaceAll(" +\n", "\n"));
  }
}
