package io.replicator.stream;

import com.google.auto.value.AutoValue;
import io.replicator.batch.StageBatches;
import io.replicator.batch.StageCompletingKeyMoves;
import io.replicator.change.Change;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.source.DeadLetter;
import io.replicator.source.DebeziumChangeDecoder;
import io.replicator.source.InputFormat;
import io.replicator.source.WriteDeadLetters;
import io.replicator.warehouse.MergeBatches;
import io.replicator.warehouse.ReadTargetRows;
import io.replicator.warehouse.RowsWithoutBase;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.spi.MergeResult;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The streaming replicate: events are cut into windows of the load interval; each window's
 * changes go through the batch pipeline's own stages (latest change per key in batches of whole
 * keys of at most {@code maxBytes}, staged, merged, one target table per source table); then the
 * window's progress is committed to the source. A window with nothing in it costs nothing.
 *
 * <pre>{@code
 * PCollection<String> report = events.apply(ReplicateStream.of(tables, warehouse, "/tmp/staging", "/tmp/dead")
 *     .withLoadInterval(Duration.standardSeconds(60)).committingTo(new KafkaOffsets(servers, group, Map.of())));
 * }</pre>
 *
 * <p>Each table's windows are merged in window order ({@link MergeBatches#inWindowOrder}): an
 * update that leaves columns out is completed from the target's row. Events later than their
 * window (which stamping at read time makes rare) are merged in a later pane of that window for
 * up to {@link #ALLOWED_LATENESS}. Outputs one report line per window.
 */
@AutoValue
public abstract class ReplicateStream extends PTransform<PCollection<SourceEvent>, PCollection<String>> {
  public static final Duration ALLOWED_LATENESS = Duration.standardHours(1);

  abstract List<TargetTable> tables();

  abstract Map<String, String> sourceNames();

  abstract InputFormat format();

  abstract WarehouseSpec warehouse();

  abstract String staging();

  abstract String deadLetters();

  abstract Duration loadInterval();

  abstract long maxBytes();

  abstract long maxRows();

  abstract boolean keepStaging();

  abstract ProgressCommitter committer();

  abstract @Nullable String unavailableValue();

  abstract boolean printsWindows();

  abstract boolean eventsInSourceOrder();

  abstract Duration splitKeyChangeWait();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setTables(List<TargetTable> tables);

    abstract Builder setSourceNames(Map<String, String> names);

    abstract Builder setFormat(InputFormat format);

    abstract Builder setWarehouse(WarehouseSpec warehouse);

    abstract Builder setStaging(String staging);

    abstract Builder setDeadLetters(String deadLetters);

    abstract Builder setLoadInterval(Duration interval);

    abstract Builder setMaxBytes(long bytes);

    abstract Builder setMaxRows(long rows);

    abstract Builder setKeepStaging(boolean keep);

    abstract Builder setCommitter(ProgressCommitter committer);

    abstract Builder setUnavailableValue(String placeholder);

    abstract Builder setPrintsWindows(boolean print);

    abstract Builder setEventsInSourceOrder(boolean inOrder);

    abstract Builder setSplitKeyChangeWait(Duration wait);

    abstract ReplicateStream build();
  }

  /** Debezium events of {@code tables}, merged into {@code warehouse} every minute. */
  public static ReplicateStream of(List<TargetTable> tables, WarehouseSpec warehouse, String staging,
      String deadLetters) {
    if (tables.isEmpty()) {
      throw new IllegalArgumentException("no table to replicate");
    }
    return new AutoValue_ReplicateStream.Builder().setTables(List.copyOf(tables)).setSourceNames(Map.of())
        .setFormat(InputFormat.DEBEZIUM).setWarehouse(warehouse).setStaging(staging).setDeadLetters(deadLetters)
        .setLoadInterval(Duration.standardSeconds(60)).setMaxBytes(256L << 20)
        .setMaxRows(5_000_000L).setKeepStaging(false).setCommitter(ProgressCommitter.NONE)
        .setUnavailableValue(DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE).setPrintsWindows(false)
        .setEventsInSourceOrder(false).setSplitKeyChangeWait(ALLOWED_LATENESS).build();
  }

  /** Native change lines instead of Debezium events (one table only). */
  public ReplicateStream withNativeLines() {
    if (tables().size() != 1) {
      throw new IllegalArgumentException("native change lines name no table: replicate one table at a time");
    }
    return toBuilder().setFormat(InputFormat.NATIVE).build();
  }

  /** Target tables whose source tables are named otherwise (target → {@code schema.table}). */
  public ReplicateStream withSourceNames(Map<String, String> names) {
    return toBuilder().setSourceNames(Map.copyOf(names)).build();
  }

  public ReplicateStream withLoadInterval(Duration interval) {
    if (interval.getMillis() < 1) {
      throw new IllegalArgumentException("the load interval must be positive, got " + interval);
    }
    return toBuilder().setLoadInterval(interval).build();
  }

  /** Bounds each staged batch; a window holding more for one table is merged as several batches. */
  public ReplicateStream withBatchBounds(long bytes, long rows) {
    return toBuilder().setMaxBytes(bytes).setMaxRows(rows).build();
  }

  public ReplicateStream keepingStaging(boolean keep) {
    return toBuilder().setKeepStaging(keep).build();
  }

  /** The Debezium connector's placeholder for a value it cannot see: such columns are left unchanged. */
  public ReplicateStream withUnavailableValue(String placeholder) {
    return toBuilder().setUnavailableValue(placeholder).build();
  }

  /** Prints each window's report line on standard error as the window is done (a console's progress). */
  public ReplicateStream printingWindows(boolean print) {
    return toBuilder().setPrintsWindows(print).build();
  }

  /**
   * Events that come in source order as a whole, a window at a time (file drops, each file read
   * into one window and landed in order): every change before a window's is in it or in an earlier
   * window. Then a window completes every UPDATE that moves its key and leaves columns out, from
   * the old key's row (as a batch run does); otherwise (Kafka partitions, Pub/Sub) only the
   * connector's split key changes, whose delete half shows the old key's changes have all come.
   */
  public ReplicateStream inSourceOrder() {
    return toBuilder().setEventsInSourceOrder(true).build();
  }

  /**
   * How long the first half of a key change the connector split, marked by its headers, waits for
   * the other before going on alone (by default {@link #ALLOWED_LATENESS}); while it waits, its
   * source's position is not committed past it. See {@link PairSplitKeyChanges}. Zero: no
   * pairing; the halves are completed only where they share a window.
   */
  public ReplicateStream waitingForSplitKeyChangesAtMost(Duration wait) {
    if (wait.getMillis() < 0) {
      throw new IllegalArgumentException("the wait for a key change's other half cannot be negative, got " + wait);
    }
    return toBuilder().setSplitKeyChangeWait(wait).build();
  }

  /** Where merged positions are committed (Kafka offsets, say); by default nowhere. */
  public ReplicateStream committingTo(ProgressCommitter committer) {
    return toBuilder().setCommitter(committer).build();
  }

  @Override
  public PCollection<String> expand(PCollection<SourceEvent> events) {
    boolean debezium = format() != InputFormat.NATIVE;
    // The split key changes' halves are paired before the windows, so both fall in one.
    DecodeEvents decode = debezium
        ? DecodeEvents.debezium(tables(), sourceNames()).evolvingSchemas(warehouse())
            .withUnavailableValue(unavailableValue()).passingSplitKeyChanges()
        : DecodeEvents.nativeLines(tables().get(0));
    // Files carry no headers; their key moves are completed window by window in source order.
    if (debezium && !eventsInSourceOrder() && splitKeyChangeWait().getMillis() > 0) {
      decode = decode.pairingSplitKeyChanges(splitKeyChangeWait());
    }
    DecodeEvents.Result decoded = events.apply("Decode events",
        eventsInSourceOrder() ? decode.passingKeyMoves() : decode);
    return mergeAndCommit(inWindows(decoded), debezium || eventsInSourceOrder());
  }

  /**
   * The same for a source that decodes its own events (a replication slot): its changes, dead
   * letters and progress, windowed here.
   *
   * <pre>{@code
   * p.apply(ReplicateStream.of(tables, warehouse, staging, deadLetters)
   *     .committingTo(new SlotPositions(slot)).readingFrom(ReadSlotStream.of(slot, bySourceName)));
   * }</pre>
   */
  public PTransform<PBegin, PCollection<String>> readingFrom(PTransform<PBegin, DecodeEvents.Result> read) {
    return new PTransform<>() {
      @Override
      public PCollection<String> expand(PBegin input) {
        // The slot's reader completes its key moves itself.
        return mergeAndCommit(inWindows(input.apply("Read", read)), false);
      }
    };
  }

  /** What was decoded, in windows of the load interval. */
  private DecodeEvents.Result inWindows(DecodeEvents.Result r) {
    return new DecodeEvents.Result(
        r.changes().apply("Windows of the load interval", this.<Change>windows()),
        r.deadLetters().apply("Dead letters in windows", this.<DeadLetter>windows()),
        r.progress().apply("Progress in windows", this.<KV<String, Long>>windows()),
        r.spills() == null ? null : r.spills().apply("Spill files in windows", this.<KV<String, String>>windows()));
  }

  /** Windows of the load interval, late events merged in a later pane. */
  private <T> Window<T> windows() {
    return Window.<T>into(FixedWindows.of(loadInterval()))
        .triggering(AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
        .withAllowedLateness(ALLOWED_LATENESS)
        .discardingFiredPanes();
  }

  /** @param keyMoves whether the changes may hold partial key moves to complete */
  private PCollection<String> mergeAndCommit(DecodeEvents.Result decoded, boolean keyMoves) {
    PCollection<StagedBatch> staged = decoded.changes().apply("Stage batches", keyMoves
        ? StageCompletingKeyMoves.of(tables(), ReadTargetRows.in(warehouse()), staging(), maxBytes(), maxRows())
        : StageBatches.to(staging()).withMaxBytes(maxBytes()).withMaxRows(maxRows()));
    if (decoded.spills() != null) {
      // A read that spilled what it read: its batches reduced from the files, one at a time.
      staged = PCollectionList.of(staged)
          .and(decoded.spills().apply("Stage spilled batches", StageBatches.spilledBuckets(staging(), maxBytes(), maxRows())))
          .apply("All staged", Flatten.pCollections()).setCoder(StagedBatch.coder());
    }
    PCollection<MergeResult> merged = staged.apply("Merge batches",
        MergeBatches.into(warehouse(), tables()).keepingStaging(keepStaging()).followingSchemaChanges()
            .inWindowOrder());
    // Rejected events, and partial rows the merge found nothing to complete.
    PCollection<String> deadLetterFiles = PCollectionList.of(decoded.deadLetters())
        .and(merged.apply("Rows without base", RowsWithoutBase.asDeadLetters()))
        .apply("All dead letters", Flatten.pCollections()).setCoder(DeadLetter.coder())
        .apply("Write dead letters", WriteDeadLetters.to(deadLetters()));

    KvCoder<String, Long> progressCoder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    PCollection<KV<String, Long>> mergedProgress = merged.apply("Merged progress",
        MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
            .via(Progress::merged)).setCoder(progressCoder);
    PCollection<KV<String, Long>> deadLetterProgress = deadLetterFiles.apply("Dead-letter progress",
        MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
            .via(Progress::deadLetters)).setCoder(progressCoder);
    return PCollectionList.of(decoded.progress()).and(mergedProgress).and(deadLetterProgress)
        .apply("All progress", Flatten.pCollections())
        .apply("Commit progress", CommitProgress.with(committer()).printingWindows(printsWindows()));
  }
}
