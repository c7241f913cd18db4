package io.replicator.pipelines;

import io.replicator.batch.BatchPlan;
import io.replicator.batch.SpillWriter;
import io.replicator.batch.StagingPaths;
import io.replicator.change.TargetTable;
import io.replicator.source.InputFormat;
import io.replicator.source.postgres.ReplicationSlot;
import io.replicator.stream.GatherReadBundles;
import io.replicator.stream.KafkaOffsets;
import io.replicator.stream.ProgressCommitter;
import io.replicator.stream.PubsubAcks;
import io.replicator.stream.ReadKafkaEvents;
import io.replicator.stream.ReadPubsubEvents;
import io.replicator.stream.ReadSlotStream;
import io.replicator.stream.ReplicateStream;
import io.replicator.stream.SlotPositions;
import io.replicator.stream.SourceEvent;
import io.replicator.stream.WatchChangeFiles;
import io.replicator.warehouse.ReadTargetRows;
import io.replicator.warehouse.spi.Warehouse;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.values.PCollection;

/**
 * The streaming {@code replicate}: Debezium change events from Kafka or from files as they land,
 * merged into one target table per source table every load interval; Kafka offsets are committed
 * once merged. See {@link ReplicateStream} for the stages.
 */
final class ReplicateStreamPipeline {
  /** Buckets a slot read spills into at least: a window of a live stream fills few, a backlog's up to its batch bound. */
  static final int SPILL_BUCKETS = 64;

  private ReplicateStreamPipeline() {}

  /**
   * A started stream: the Beam result, the plan and the tables it keeps in step; {@code once} for a
   * run that reads what a slot holds and stops ({@link StreamPlan#slotCatchUp}).
   */
  record Launched(PipelineResult result, StreamPlan plan, List<TargetTable> tables, List<String> readWhole,
      boolean once) {
    String tableNames() {
      return String.join(", ", tables.stream().map(TargetTable::name).toList());
    }
  }

  static Launched run(ReplicateOptions options) {
    return run(options, false);
  }

  /** @param printWindows whether each window's report line is printed on standard error as it is done */
  static Launched run(ReplicateOptions options, boolean printWindows) {
    FileSystems.setDefaultPipelineOptions(options);
    boolean once = StreamPlan.slotCatchUp(options);
    StreamPlan plan = StreamPlan.from(options);
    StreamPlan.Tables resolved = plan.tables();
    List<TargetTable> tables = resolved.targets();
    // A replication slot: made when missing, and the tables new to it read whole first: here, in
    // batch runs this process waits for, or as steps of the job, which reads the slot after them.
    Map<String, TargetTable> bySourceName = new java.util.LinkedHashMap<>();
    List<String> readWhole = List.of();
    ReplicationSlot.State state = null;
    ReplicationSlot slot = plan.source().kind() == StreamSourcePlan.Kind.SLOT ? plan.source().slot().slot() : null;
    if (slot != null) {
      try {
        state = slot.prepare(tables.stream().map(t -> resolved.sourceNames().getOrDefault(t.name(), t.name())).toList());
      } catch (SQLException e) {
        throw new SourceException(e.getMessage());
      }
      for (int i = 0; i < tables.size(); i++) {
        bySourceName.put(state.tables().get(i), tables.get(i));
      }
    }
    // The targets checked, through a slot once its position is known: a column added at the source
    // since the last read is added to its target, and the table read whole again at that position.
    try (Warehouse w = plan.warehouse().spec().open()) {
      for (TargetTable t : tables) {
        if (slot != null) {
          SlotBackfill.addColumnsAddedAtTheSource(slot, state, t, w);
        }
        w.ensureTables(t, Warehouse.AddedColumns.ACCEPTED);
      }
    }
    boolean firstReadsInJob = !Launch.waits(options) || Boolean.TRUE.equals(options.getFirstReadsInJob());
    if (slot != null && !firstReadsInJob) {
      readWhole = SlotBackfill.run(options, plan, slot, state, tables, options.getMaxReloadDeletePercent());
    }

    // The DirectRunner's run() would wait for the stream to end, and so would Flink's attached
    // execution, embedded or on a cluster: return once it runs instead (then wait, cancel and
    // summarise here).
    options.as(DirectOptions.class).setBlockOnRun(false);
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    flink.setAttachedMode(false);
    flink.setJobCheckIntervalInSecs(1);
    if (flink.getCheckpointingInterval() == null || flink.getCheckpointingInterval() <= 0) {
      // Without checkpointing, Flink never advances the watermark past the file watcher (Beam's
      // Watch), so no window would ever merge; checkpoints cost little here, as positions are
      // committed after the merges, not restored from state.
      flink.setCheckpointingInterval(Math.max(1000L, plan.source().loadInterval().getMillis()));
    }
    Pipeline p = Pipeline.create(options);
    PCollection<SourceEvent> events;
    ProgressCommitter committer = ProgressCommitter.NONE;
    boolean inSourceOrder = false;
    if (plan.source().kind() == StreamSourcePlan.Kind.KAFKA) {
      ReadKafkaEvents read = ReadKafkaEvents.from(plan.source().kafkaBootstrapServers(), plan.source().kafkaGroup());
      events = p.apply("Read Kafka", plan.source().kafkaTopicPattern() != null
          ? read.withTopicPattern(plan.source().kafkaTopicPattern()) : read.withTopics(plan.source().kafkaTopics()));
      committer = new KafkaOffsets(plan.source().kafkaBootstrapServers(), plan.source().kafkaGroup(), Map.of());
    } else if (plan.source().kind() == StreamSourcePlan.Kind.PUBSUB) {
      events = p.apply("Read Pub/Sub", ReadPubsubEvents.from(plan.source().pubsubSubscription()));
      committer = new PubsubAcks(plan.source().pubsubSubscription());
    } else if (plan.source().kind() == StreamSourcePlan.Kind.FILES) {
      events = p.apply("Watch change files", WatchChangeFiles.matching(plan.source().changes()).every(plan.source().watchInterval()));
      inSourceOrder = true;
    } else {
      events = null;
      committer = new SlotPositions(slot);
    }
    boolean unboundedRead = plan.source().kind() == StreamSourcePlan.Kind.KAFKA
        || plan.source().kind() == StreamSourcePlan.Kind.PUBSUB;
    if (unboundedRead && options.getRunner() == DirectRunner.class) {
      // The DirectRunner reads ten events per bundle and sets each later step up per bundle.
      events = events.apply("Gather read bundles", GatherReadBundles.within(plan.source().loadInterval()));
    }
    ReplicateStream replicate = ReplicateStream.of(tables, plan.warehouse().spec(), plan.staging().staging(), plan.staging().deadLetter())
        .withSourceNames(resolved.sourceNames())
        .withLoadInterval(plan.source().loadInterval())
        .waitingForSplitKeyChangesAtMost(plan.source().keyChangePairWait())
        .withBatchBounds(plan.staging().batchMaxBytes(), plan.staging().batchMaxRows())
        .keepingStaging(plan.staging().keepStaging())
        .withUnavailableValue(plan.changes().unavailableValue())
        .committingTo(committer)
        .printingWindows(printWindows);
    if (events == null) {
      ReadSlotStream read = ReadSlotStream.of(slot, bySourceName);
      if (firstReadsInJob) {
        SlotBackfill.InJob first = SlotBackfill.inJob(p, options, plan, slot, state, tables,
            options.getMaxReloadDeletePercent());
        readWhole = first.readWhole();
        if (first.applied() != null) {
          read = read.startingAfter(first.applied());
        }
      }
      read = once ? read.once() : read.every(plan.source().watchInterval());
      if (!Launch.onDataflow(options)) {
        // A local runner holds a step's whole output in memory: each read spills what it reads, in
        // buckets of whole keys that each window gathers into batches (a one-time read's or a first
        // poll's backlog counted from the WAL the slot kept, as a batch run's read counts its input).
        long span = Math.max(0, state.end() - state.confirmed());
        int buckets = Math.max(SPILL_BUCKETS, BatchPlan.batchCount(span, span / 100, plan.staging().batchMaxBytes(),
            plan.staging().batchMaxRows()));
        read = read.spillingInto(SpillWriter.into(buckets, StagingPaths.spillDirectory(
            plan.staging().staging(), "slot-" + slot.slot())));
      }
      p.apply("Replicate", replicate.readingFrom(read
          .evolvingSchemas(plan.warehouse().spec())
          .warningAbove(plan.source().slot().maxLagBytes())
          .withTargetRows(ReadTargetRows.in(plan.warehouse().spec()))));
    } else {
      if (inSourceOrder) {
        replicate = replicate.inSourceOrder();
      }
      events.apply("Replicate", plan.changes().format() == InputFormat.NATIVE ? replicate.withNativeLines() : replicate);
    }
    return new Launched(p.run(), plan, tables, readWhole, once);
  }
}
