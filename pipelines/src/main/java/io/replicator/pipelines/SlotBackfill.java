package io.replicator.pipelines;

import io.replicator.batch.BatchPlan;
import io.replicator.change.TargetTable;
import io.replicator.replicate.ReplicateTable;
import io.replicator.source.jdbc.Lsn;
import io.replicator.source.postgres.ReplicationSlot;
import io.replicator.warehouse.spi.Warehouse;
import java.util.List;
import java.util.OptionalLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * The first read of a table followed through a replication slot: the whole table, read after the
 * slot's position, its rows at that position, applied as a reload. Every change the slot holds
 * commits after that position, so it sorts above the table's rows; a change both in the read and
 * in the slot is applied again and the newest still wins: exact whatever commits meanwhile.
 */
final class SlotBackfill {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SlotBackfill.class);

  private SlotBackfill() {}

  /**
   * Whether {@code table} is to be read whole: when the slot is new, when an earlier first read did
   * not finish, or when the target is empty. Notes the read as started when it is.
   */
  static boolean needed(ReplicationSlot slot, ReplicationSlot.State state, TargetTable table, Warehouse w) {
    String fingerprint = "postgres slot " + slot.slot();
    OptionalLong pending = w.pendingReload(table, fingerprint);
    boolean backfill = state.created() || pending.isPresent() || w.maxSequenceNum(table) == 0;
    if (backfill && (pending.isEmpty() || pending.getAsLong() != state.confirmed())) {
      w.startReload(table, fingerprint, state.confirmed());
    }
    return backfill;
  }

  /**
   * Reads the tables that need it ({@link #needed}) whole, one batch job each, in the stream's
   * {@link StreamPlan#firstReads} partitions and throughput, before a stream from the slot starts;
   * returns each table read and in how many partitions. Runs in this process's runner and waits.
   */
  static List<String> run(ReplicateOptions options, StreamPlan plan, ReplicationSlot slot, ReplicationSlot.State state,
      List<TargetTable> tables, double maxReloadDeletePercent) {
    StreamingOptions streaming = options.as(StreamingOptions.class);
    boolean wasStreaming = streaming.isStreaming();
    List<String> readWhole = new java.util.ArrayList<>();
    for (int i = 0; i < tables.size(); i++) {
      TargetTable table = tables.get(i);
      try (Warehouse w = plan.warehouse().spec().open()) {
        if (!needed(slot, state, table, w)) {
          continue;
        }
      }
      if (!Launch.waits(options)) {
        throw new OptionsException(table.name() + " is read whole first, and this launcher does not wait for jobs:"
            + " start the stream from a launcher that waits (this machine, with the Dataflow runner) for its first"
            + " reads; once every table's target holds its rows, a stream started from anywhere goes on");
      }
      String source = state.tables().get(i);
      LOG.info("Reading {} whole at the position of {} (LSN {}) before the stream starts", source, slot,
          Lsn.text(state.confirmed()));
      JdbcSourcePlan read = plan.firstReads().ofTable(source);
      JdbcPlan jdbc = JdbcPlan.prepare(read, null, table.schema(), true);
      try {
        ReplicateTable replicate = ReplicateTable.into(plan.warehouse().spec(), table)
            .withStaging(plan.staging().staging()).withDeadLetters(plan.staging().deadLetter())
            .withBatchBounds(plan.staging().batchMaxBytes(), plan.staging().batchMaxRows())
            .withSnapshotFrom(jdbc.read(read, table.name(), state.confirmed()))
            .replacing(state.confirmed(), maxReloadDeletePercent);
        if (!Launch.onDataflow(options) && jdbc.estimatedRows > 0 && jdbc.estimatedBytes > 0) {
          replicate = replicate.spillingWhileReading(BatchPlan.batchCount(jdbc.estimatedBytes, jdbc.estimatedRows,
              plan.staging().batchMaxBytes(), plan.staging().batchMaxRows()));
        }
        streaming.setStreaming(false);
        Pipeline p = Pipeline.create(options);
        p.apply("Read " + table.name() + " whole", replicate);
        PipelineResult.State end = p.run().waitUntilFinish();
        if (end != PipelineResult.State.DONE) {
          throw new IllegalStateException("the first read of " + source + " ended " + end);
        }
        readWhole.add(source + " (" + jdbc.ranges.size() + (jdbc.ranges.size() == 1 ? " partition)" : " partitions)"));
      } finally {
        streaming.setStreaming(wasStreaming);
        jdbc.close();
      }
    }
    return readWhole;
  }
}
