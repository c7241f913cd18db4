package io.replicator.pipelines;

import io.replicator.batch.BatchPlan;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.replicate.ReplicateTable;
import io.replicator.source.ReadChanges;
import io.replicator.source.postgres.ReadSlotChanges;
import io.replicator.source.postgres.ReplicationSlot;
import io.replicator.source.postgres.SlotConfirmation;
import io.replicator.warehouse.ReadTargetRows;
import io.replicator.warehouse.spi.Warehouse;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The {@code replicate} pipeline: reads a snapshot and/or change events, cuts them into batches of
 * whole keys, keeps the latest change per key, stages each batch as JSONL, and merges it into the
 * warehouse. See DESIGN.md for the data flow and its guarantees.
 */
public final class ReplicatePipeline {
  private ReplicatePipeline() {}

  /**
   * What a launched run is: the Beam result, what the summary needs to say, and what must stay
   * open until the run ends (an exported database snapshot); {@link #close} it then.
   */
  public record Launched(PipelineResult result, ReplicatePlan plan, Long snapshotSequence, String snapshotSource,
      JdbcPlan jdbc, SlotRead slot) implements AutoCloseable {
    public String table() {
      return plan.table().name();
    }

    public String deadLetter() {
      return plan.staging().deadLetter();
    }

    @Override
    public void close() {
      if (jdbc != null) {
        jdbc.close();
      }
    }
  }

  /**
   * A run's read of a replication slot: where the slot stood, and whether the table was read whole
   * (the slot is new to the target).
   */
  public record SlotRead(ReplicationSlot slot, ReplicationSlot.State state, boolean backfill) {}

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

    // Step 0: the replication slot first (the table is read after its position), then the source
    // database's table and a consistent point to read it at.
    ReplicationSlot.State slotState = null;
    if (plan.slot() != null) {
      try {
        slotState = plan.slot().slot().prepare(List.of(plan.jdbc().table()), true);
      } catch (SQLException e) {
        throw new SourceException(e.getMessage());
      }
    }
    JdbcPlan jdbc = plan.jdbc() == null ? null : JdbcPlan.prepare(plan);
    try {
      return launch(options, jdbc == null ? plan : plan.withTable(plan.table().withSchema(jdbc.table.schema())), jdbc,
          slotState);
    } catch (RuntimeException e) {
      if (jdbc != null) {
        jdbc.close();
      }
      throw e;
    }
  }

  private static Launched launch(ReplicateOptions options, ReplicatePlan plan, JdbcPlan jdbc,
      ReplicationSlot.State slotState) {
    // Step 0: the target exists and matches the schema; the snapshot's sequence is fixed.
    TargetTable table = plan.target();
    StagingPlan staging = plan.staging();
    Long snapshotSequence = null;
    SlotRead slot = null;
    try (Warehouse w = plan.warehouse().spec().open()) {
      if (slotState != null) {
        SlotBackfill.addColumnsAddedAtTheSource(plan.slot().slot(), slotState, table, w);
      }
      w.ensureTables(table);
      if (plan.snapshot().files() != null) {
        snapshotSequence = snapshotSequence(plan, w);
      } else if (slotState != null) {
        slot = slotRead(plan.slot().slot(), slotState, table, w);
        snapshotSequence = slot.backfill() ? slotState.confirmed() : null;
      } else if (jdbc != null) {
        snapshotSequence = plan.snapshot().sequence() != null ? plan.snapshot().sequence()
            : jdbc.sequence() != null ? jdbc.sequence() : w.maxSequenceNum(table) + 1;
      }
    }

    // Step 1: the sources, each a read of its own.
    ReplicateTable replicate = ReplicateTable.into(plan.warehouse().spec(), table)
        .withStaging(staging.staging()).withDeadLetters(staging.deadLetter())
        .withBatchBounds(staging.batchMaxBytes(), staging.batchMaxRows()).keepingStaging(staging.keepStaging())
        .stagingAsRead(staging.stageSnapshotAsRead());
    if (plan.snapshot().files() != null) {
      replicate = replicate.withSnapshot(ReadChanges.from(plan.snapshot().files()).withFormat(plan.snapshot().format())
          .withTable(table.name()).withSchema(table.schema()).withSnapshotSequence(Sequence.of(snapshotSequence)));
    }
    String snapshotSource = null;
    if (jdbc != null && (slot == null || slot.backfill())) {
      replicate = replicate.withSnapshotFrom(slot != null
          ? jdbc.read(plan.jdbc(), table.name(), jdbc.atSlotPosition(snapshotSequence))
          : jdbc.read(plan.jdbc(), table.name(), snapshotSequence));
      snapshotSource = jdbc.table + " in " + jdbc.ranges.size() + " partitions"
          + (jdbc.snapshot != null ? ", one exported snapshot" : "");
    }
    ChangeInputPlan changes = plan.changes();
    if (changes.changes() != null) {
      replicate = replicate.withChanges(ReadChanges.from(changes.changes()).withFormat(changes.format())
          .withUnavailableValue(changes.unavailableValue()).withTable(table.name()).withSchema(table.schema()));
    }
    if (slot != null) {
      replicate = replicate.withChangesFrom(ReadSlotChanges.of(slot.slot(), slotState.end(),
              Map.of(jdbc.table.qualifiedName(), table)).withFetchSize(plan.jdbc().fetchSize())
              .withTargetRows(ReadTargetRows.in(plan.warehouse().spec())))
          .confirmingTo(new SlotConfirmation(slot.slot(), slotState.end()));
    }
    // Step 2: how the changes land: CDC writes, a reload as one unit, or batch by batch; files are
    // cut into batches (a count from their sizes) as they are read.
    if (plan.warehouse().cdc()) {
      replicate = replicate.writingCdc();
    } else if (jdbc == null) {
      // The local runners hold a shuffle's groups in memory: spill batches to disk there instead.
      int batches = plan.batchCountFromInputSize();
      replicate = Launch.onDataflow(options) ? replicate.reducingWhileReading(batches)
          : replicate.spillingWhileReading(batches);
    } else if (!Launch.onDataflow(options)) {
      // A database snapshot spills too where its size is known (PostgreSQL's statistics), and a
      // slot's changes by the WAL they span; else the batch count is measured from the rows read.
      long bytes = snapshotSource != null && jdbc.estimatedRows > 0 ? Math.max(0, jdbc.estimatedBytes) : 0;
      long rows = snapshotSource != null ? Math.max(0, jdbc.estimatedRows) : 0;
      if (slot != null) {
        bytes += slotState.end() - slotState.confirmed();
        rows += (slotState.end() - slotState.confirmed()) / 100;
      }
      if (bytes > 0 && rows > 0) {
        replicate = replicate.spillingWhileReading(BatchPlan.batchCount(bytes, rows,
            plan.staging().batchMaxBytes(), plan.staging().batchMaxRows()));
      }
    }
    if (plan.snapshot().replace() || (slot != null && slot.backfill())) {
      replicate = replicate.replacing(snapshotSequence, plan.snapshot().maxReloadDeletePercent());
    }
    // Step 3: run.
    Pipeline p = Pipeline.create(options);
    p.apply("Replicate " + table.name(), replicate);
    return new Launched(p.run(), plan, snapshotSequence, snapshotSource, jdbc, slot);
  }

  /** The run's read of the slot; the table is read whole too when {@link SlotBackfill#needed}. */
  private static SlotRead slotRead(ReplicationSlot slot, ReplicationSlot.State state, TargetTable table, Warehouse w) {
    return new SlotRead(slot, state, SlotBackfill.needed(slot, state, table, w));
  }

  /**
   * The sequence of the snapshot's rows: as given; else the one an unfinished load of the same
   * files started with; else one above the highest the target holds. (CDC writes keep no record of
   * loads under way: a re-run takes one above the highest again.)
   */
  private static long snapshotSequence(ReplicatePlan plan, Warehouse w) {
    if (plan.snapshot().sequence() != null) {
      return plan.snapshot().sequence();
    }
    TargetTable table = plan.target();
    if (plan.warehouse().cdc()) {
      return w.maxSequenceNum(table) + 1;
    }
    String fingerprint = plan.snapshotFingerprint();
    OptionalLong pending = w.pendingReload(table, fingerprint);
    if (pending.isPresent()) {
      return pending.getAsLong();
    }
    long sequence = w.maxSequenceNum(table) + 1;
    w.startReload(table, fingerprint, sequence);
    return sequence;
  }
}
