package io.replicator.pipelines;

import io.replicator.batch.StageBatches;
import io.replicator.change.StagedBatch;
import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.Sequence;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import io.replicator.source.WriteDeadLetters;
import io.replicator.source.jdbc.ReadJdbcSnapshot;
import io.replicator.batch.LatestPerKey;
import io.replicator.batch.ReduceWhileReading;
import io.replicator.change.TargetTable;
import io.replicator.warehouse.ApplyReload;
import io.replicator.warehouse.FinishSnapshot;
import io.replicator.warehouse.MergeBatches;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.Warehouse;
import io.replicator.warehouse.bigquery.WriteChangesToBigQuery;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.OptionalLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * The {@code replicate} pipeline: reads a snapshot and/or change events, cuts them into batches of
 * whole keys, keeps the latest change per key, stages each batch as JSONL, and merges it into the
 * warehouse. See DESIGN.md for the data flow and its guarantees.
 */
public final class ReplicatePipeline {
  static final DateTimeFormatter RUN_ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  private ReplicatePipeline() {}

  /**
   * What a launched run is: the Beam result, what the summary needs to say, and what must stay
   * open until the run ends (an exported database snapshot); {@link #close} it then.
   */
  public record Launched(PipelineResult result, ReplicatePlan plan, Long snapshotSequence, String runId,
      String snapshotSource, JdbcPlan jdbc) implements AutoCloseable {
    public String table() {
      return plan.table.name();
    }

    public String deadLetter() {
      return plan.deadLetter;
    }

    @Override
    public void close() {
      if (jdbc != null) {
        jdbc.close();
      }
    }
  }

  public static void main(String[] args) {
    ReplicateOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(ReplicateOptions.class);
    try (Launched run = run(options)) {
      run.result().waitUntilFinish();
    }
  }

  /**
   * Checks the options, prepares the source and the warehouse, builds the pipeline and starts it.
   *
   * @throws OptionsException for options that cannot run
   */
  public static Launched run(ReplicateOptions options) {
    FileSystems.setDefaultPipelineOptions(options);
    ReplicatePlan plan = ReplicatePlan.from(options);
    String runId = RUN_ID.format(ZonedDateTime.now(ZoneOffset.UTC));

    // Step 0: the source database's table and a consistent point to read it at.
    JdbcPlan jdbc = plan.jdbc == null ? null : JdbcPlan.prepare(plan);
    if (jdbc != null) {
      plan.table = new TargetTable(plan.tableName, jdbc.table.schema(), plan.deleteMode);
    }
    try {
      return launch(options, plan, runId, jdbc);
    } catch (RuntimeException e) {
      if (jdbc != null) {
        jdbc.close();
      }
      throw e;
    }
  }

  private static Launched launch(ReplicateOptions options, ReplicatePlan plan, String runId, JdbcPlan jdbc) {
    // Step 0: the target exists and matches the schema; the snapshot's sequence is fixed.
    Long snapshotSequence = null;
    try (Warehouse w = plan.warehouse.open()) {
      w.ensureTables(plan.table);
      if (plan.snapshot != null) {
        snapshotSequence = snapshotSequence(plan, w);
      } else if (jdbc != null) {
        snapshotSequence = plan.snapshotSequence != null ? plan.snapshotSequence
            : jdbc.sequence() != null ? jdbc.sequence() : w.maxSequenceNum(plan.table) + 1;
      }
    }

    Pipeline p = Pipeline.create(options);
    if (jdbc == null && !plan.cdc) {
      return launchFromFiles(p, plan, runId, snapshotSequence);
    }
    // Step 1: read and decode; bad input becomes dead letters.
    PCollectionList<Change> changes = PCollectionList.empty(p);
    PCollectionList<DeadLetter> rejected = PCollectionList.empty(p);
    PCollectionList<DeadLetter> snapshotRejected = PCollectionList.empty(p);
    String snapshotSource = null;
    if (plan.snapshot != null) {
      ReadChanges.Result read = p.apply("Read snapshot", ReadChanges.from(plan.snapshot)
          .withFormat(plan.snapshotFormat).withTable(plan.table.name()).withSchema(plan.table.schema())
          .withSnapshotSequence(Sequence.of(snapshotSequence)));
      changes = changes.and(read.changes());
      rejected = rejected.and(read.deadLetters());
      snapshotRejected = snapshotRejected.and(read.deadLetters());
    }
    if (jdbc != null) {
      ReadJdbcSnapshot read = ReadJdbcSnapshot.of(plan.jdbc, jdbc.table, jdbc.ranges, Sequence.of(snapshotSequence),
          plan.table.name()).withFetchSize(plan.jdbcFetchSize);
      if (plan.maxThroughput > 0) {
        read = read.withMaxThroughput(plan.maxThroughput, JdbcPlan.THROTTLED_READERS);
      }
      ReadChanges.Result result = p.apply("Read source table",
          jdbc.snapshot == null ? read : read.withSnapshotId(jdbc.snapshot.id()));
      changes = changes.and(result.changes());
      rejected = rejected.and(result.deadLetters());
      snapshotRejected = snapshotRejected.and(result.deadLetters());
      snapshotSource = jdbc.table + " in " + jdbc.ranges.size() + " partitions"
          + (jdbc.snapshot != null ? ", one exported snapshot" : "");
    }
    if (plan.changes != null) {
      ReadChanges.Result read = p.apply("Read changes", ReadChanges.from(plan.changes)
          .withFormat(plan.changeFormat).withTable(plan.table.name()).withSchema(plan.table.schema()));
      changes = changes.and(read.changes());
      rejected = rejected.and(read.deadLetters());
    }
    PCollection<Change> all = changes.apply("All changes", Flatten.pCollections()).setCoder(ChangeCoder.of());
    if (plan.cdc) {
      // BigQuery CDC: the latest change per key straight into the table; no staging, no MERGE.
      rejected = rejected.and(all.apply("Write CDC rows", WriteChangesToBigQuery
          .into(plan.warehouse.bigQuery(), plan.table).withGroupBounds(plan.batchMaxBytes, plan.batchMaxRows)));
      writeDeadLetters(rejected, plan, runId);
      return new Launched(p.run(), plan, snapshotSequence, runId, snapshotSource, jdbc);
    }
    // Step 2: dead letters to files.
    writeDeadLetters(rejected, plan, runId);
    // Step 3: batches of whole keys, latest change per key, staged as JSONL.
    PCollection<StagedBatch> staged = all.apply("Stage batches",
        StageBatches.to(plan.staging).withMaxBytes(plan.batchMaxBytes).withMaxRows(plan.batchMaxRows));
    mergeAndFinish(staged, snapshotRejected, plan, snapshotSequence, runId);
    return new Launched(p.run(), plan, snapshotSequence, runId, snapshotSource, jdbc);
  }

  /**
   * Steps 4 and 5: load and merge each batch (a snapshot merged into the table then ends its
   * reload record); or, for a full-table reload, apply every batch and the removal of what its
   * snapshot no longer has as one unit, keeping the rows of rejected snapshot lines.
   */
  private static void mergeAndFinish(PCollection<StagedBatch> staged, PCollectionList<DeadLetter> snapshotRejected,
      ReplicatePlan plan, Long snapshotSequence, String runId) {
    if (plan.replace) {
      PCollectionView<Iterable<String>> rejectedKeys = snapshotRejected
          .apply("All snapshot dead letters", Flatten.pCollections()).setCoder(DeadLetter.Coder.of())
          .apply("Rejected snapshot keys", ApplyReload.rejectedKeys());
      staged.apply("Apply reload", ApplyReload.into(plan.warehouse, plan.table, snapshotSequence,
              plan.maxReloadDeletePercent, plan.staging)
          .keepingRowsOf(rejectedKeys, deadLetterFiles(plan, runId))
          .keepingStaging(plan.keepStaging));
      return;
    }
    PCollection<MergeResult> merged = staged.apply("Merge batches",
        MergeBatches.into(plan.warehouse, plan.table).keepingStaging(plan.keepStaging));
    if (plan.hasSnapshot()) {
      merged.apply("Finish snapshot", FinishSnapshot.merging(plan.warehouse, plan.table));
    }
  }

  /** Where a run's dead letters are written, as a pattern a user can list. */
  static String deadLetterFiles(ReplicatePlan plan, String runId) {
    return plan.deadLetter + "/rejected-" + runId + "-*.jsonl";
  }

  /**
   * Files only: each file is cut into batches and reduced to the latest change per key as it is
   * read, so it leaves the read as a few accumulators per batch instead of one element per line;
   * the batch count comes from the files' sizes. Then the same staging, merge and reload steps.
   */
  private static Launched launchFromFiles(Pipeline p, ReplicatePlan plan, String runId, Long snapshotSequence) {
    int batches = plan.batchCountFromInputSize();
    PCollectionList<KV<String, LatestPerKey>> reduced = PCollectionList.empty(p);
    PCollectionList<DeadLetter> rejected = PCollectionList.empty(p);
    PCollectionList<DeadLetter> snapshotRejected = PCollectionList.empty(p);
    if (plan.snapshot != null) {
      ReduceWhileReading.Result read = p.apply("Read snapshot", ReduceWhileReading.of(ReadChanges.from(plan.snapshot)
          .withFormat(plan.snapshotFormat).withTable(plan.table.name()).withSchema(plan.table.schema())
          .withSnapshotSequence(Sequence.of(snapshotSequence)), batches));
      reduced = reduced.and(read.batches());
      rejected = rejected.and(read.deadLetters());
      snapshotRejected = snapshotRejected.and(read.deadLetters());
    }
    if (plan.changes != null) {
      ReduceWhileReading.Result read = p.apply("Read changes", ReduceWhileReading.of(ReadChanges.from(plan.changes)
          .withFormat(plan.changeFormat).withTable(plan.table.name()).withSchema(plan.table.schema()), batches));
      reduced = reduced.and(read.batches());
      rejected = rejected.and(read.deadLetters());
    }
    writeDeadLetters(rejected, plan, runId);
    PCollection<StagedBatch> staged = reduced.apply("All batches", Flatten.pCollections())
        .apply("Stage batches", StageBatches.reduced(plan.staging, plan.batchMaxBytes, plan.batchMaxRows));
    mergeAndFinish(staged, snapshotRejected, plan, snapshotSequence, runId);
    return new Launched(p.run(), plan, snapshotSequence, runId, null, null);
  }

  private static void writeDeadLetters(PCollectionList<DeadLetter> rejected, ReplicatePlan plan, String runId) {
    rejected.apply("All dead letters", Flatten.pCollections()).setCoder(DeadLetter.Coder.of())
        .apply("Write dead letters", WriteDeadLetters.to(plan.deadLetter, runId));
  }

  /**
   * The sequence of the snapshot's rows: as given; else the one an unfinished load of the same
   * files started with; else one above the highest the target holds. (CDC writes keep no record of
   * loads under way: a re-run takes one above the highest again.)
   */
  private static long snapshotSequence(ReplicatePlan plan, Warehouse w) {
    if (plan.snapshotSequence != null) {
      return plan.snapshotSequence;
    }
    if (plan.cdc) {
      return w.maxSequenceNum(plan.table) + 1;
    }
    String fingerprint = plan.snapshotFingerprint();
    OptionalLong pending = w.pendingReload(plan.table, fingerprint);
    if (pending.isPresent()) {
      return pending.getAsLong();
    }
    long sequence = w.maxSequenceNum(plan.table) + 1;
    w.startReload(plan.table, fingerprint, sequence);
    return sequence;
  }
}
