package io.replicator.pipelines;

import io.replicator.batch.BatchPlan;
import io.replicator.change.Column;
import io.replicator.change.TargetTable;
import io.replicator.replicate.ReplicateTable;
import io.replicator.source.jdbc.Lsn;
import io.replicator.source.postgres.ReplicationSlot;
import io.replicator.stream.ReadSlotStream;
import io.replicator.warehouse.spi.Warehouse;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

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
   * Follows columns added at the source while nothing read the slot (between runs, or while a
   * stream was stopped): the existing target gets them, nullable, and the table is to be read whole
   * again at the slot's position ({@link #needed}), because the rows that existed then may hold
   * values the WAL never carried (a DEFAULT, a generated or identity column). Call before the
   * target is checked against {@code table}'s schema (the source's, as the launch reads it).
   */
  static void addColumnsAddedAtTheSource(ReplicationSlot slot, ReplicationSlot.State state, TargetTable table,
      Warehouse w) {
    List<Column> missing = w.missingColumns(table);
    if (missing.isEmpty()) {
      return;
    }
    w.addColumns(table, missing);
    w.startReload(table, fingerprint(slot), state.confirmed());
    LOG.warn("{} has new column(s) at the source: added {} to the target, and it is read whole again at the slot's"
        + " position (the rows that existed may hold values the WAL does not carry)", table.name(),
        missing.stream().map(c -> c.name() + " " + c.type()).toList());
  }

  private static String fingerprint(ReplicationSlot slot) {
    return "postgres slot " + slot.slot();
  }

  /**
   * Whether {@code table} is to be read whole: when the slot is new, when an earlier first read did
   * not finish (or columns were added at the source), or when the target is empty. Notes the read as
   * started when it is.
   */
  static boolean needed(ReplicationSlot slot, ReplicationSlot.State state, TargetTable table, Warehouse w) {
    String fingerprint = fingerprint(slot);
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
    List<String> readWhole = new ArrayList<>();
    for (int i = 0; i < tables.size(); i++) {
      TargetTable table = tables.get(i);
      if (!needed(plan, slot, state, table)) {
        continue;
      }
      String source = state.tables().get(i);
      try (FirstRead read = FirstRead.of(options, plan, state, table, source, maxReloadDeletePercent, true)) {
        streaming.setStreaming(false);
        Pipeline p = Pipeline.create(options);
        p.apply("Read " + table.name() + " whole", read.replicate());
        PipelineResult.State end = p.run().waitUntilFinish();
        if (end != PipelineResult.State.DONE) {
          throw new IllegalStateException("the first read of " + source + " ended " + end);
        }
        readWhole.add(read.described());
      } finally {
        streaming.setStreaming(wasStreaming);
      }
    }
    return readWhole;
  }

  /** The first reads a job makes itself ({@link #inJob}): each table read, and what they applied. */
  record InJob(List<String> readWhole, PCollection<String> applied) {}

  /**
   * The first reads as steps of the job that then follows the slot, for a launcher that does not
   * wait for jobs (a Flex Template) or when asked: the tables that need it ({@link #needed}) read
   * whole in the stream's {@link StreamPlan#firstReads} partitions and throughput, each partition
   * at its own point in time after the slot's position (no launcher holds an exported snapshot
   * open; the changes from that position make each row exact, as above). The slot's reader waits
   * for {@code applied} ({@link ReadSlotStream#startingAfter}); null when no table needs reading.
   */
  static InJob inJob(Pipeline p, ReplicateOptions options, StreamPlan plan, ReplicationSlot slot,
      ReplicationSlot.State state, List<TargetTable> tables, double maxReloadDeletePercent) {
    List<String> readWhole = new ArrayList<>();
    PCollectionList<String> applied = PCollectionList.empty(p);
    for (int i = 0; i < tables.size(); i++) {
      TargetTable table = tables.get(i);
      if (!needed(plan, slot, state, table)) {
        continue;
      }
      String source = state.tables().get(i);
      try (FirstRead read = FirstRead.of(options, plan, state, table, source, maxReloadDeletePercent, false)) {
        applied = applied.and(p.apply("Read " + table.name() + " whole", read.replicate()));
        readWhole.add(read.described());
      }
    }
    return new InJob(readWhole, readWhole.isEmpty() ? null
        : applied.apply("First reads applied", Flatten.pCollections()).setCoder(StringUtf8Coder.of()));
  }

  private static boolean needed(StreamPlan plan, ReplicationSlot slot, ReplicationSlot.State state, TargetTable table) {
    try (Warehouse w = plan.warehouse().spec().open()) {
      return needed(slot, state, table, w);
    }
  }

  /** One table's first read: its partitions planned, the flow that reads and applies it as a reload. */
  private record FirstRead(JdbcPlan jdbc, ReplicateTable replicate, String described) implements AutoCloseable {
    /** @param holdSnapshot this process waits for the read, so it holds one exported snapshot for it */
    static FirstRead of(ReplicateOptions options, StreamPlan plan, ReplicationSlot.State state, TargetTable table,
        String source, double maxReloadDeletePercent, boolean holdSnapshot) {
      LOG.info("Reading {} whole at the position of the slot (LSN {}) before following it", source,
          Lsn.text(state.confirmed()));
      JdbcSourcePlan read = plan.firstReads().ofTable(source);
      JdbcPlan jdbc = JdbcPlan.prepare(read, null, table.schema(), holdSnapshot);
      ReplicateTable replicate = ReplicateTable.into(plan.warehouse().spec(), table)
          .withStaging(plan.staging().staging()).withDeadLetters(plan.staging().deadLetter())
          .withBatchBounds(plan.staging().batchMaxBytes(), plan.staging().batchMaxRows())
          .withSnapshotFrom(jdbc.read(read, table.name(), jdbc.atSlotPosition(state.confirmed())))
          .replacing(state.confirmed(), maxReloadDeletePercent);
      if (!Launch.onDataflow(options) && jdbc.estimatedRows > 0 && jdbc.estimatedBytes > 0) {
        replicate = replicate.spillingWhileReading(BatchPlan.batchCount(jdbc.estimatedBytes, jdbc.estimatedRows,
            plan.staging().batchMaxBytes(), plan.staging().batchMaxRows()));
      }
      return new FirstRead(jdbc, replicate,
          source + " (" + jdbc.ranges.size() + (jdbc.ranges.size() == 1 ? " partition)" : " partitions)"));
    }

    @Override
    public void close() {
      jdbc.close();
    }
  }
}
