package io.replicator.warehouse;

import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.warehouse.spi.MergeResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;

/**
 * Loads each staged batch into the warehouse and merges it into the target table, then removes
 * the staged file (unless told to keep it). A batch the warehouse has already applied is skipped.
 * Into a warehouse that runs one merge at a time (DuckDB), a bounded run's batches are merged
 * together once all are staged ({@link io.replicator.warehouse.spi.Warehouse#mergeTogether}).
 *
 * <pre>{@code
 * PCollection<MergeResult> merged =
 *     staged.apply(MergeBatches.into(WarehouseSpec.parse("duckdb:/tmp/w.duckdb"), target));
 * }</pre>
 */
public final class MergeBatches extends PTransform<PCollection<StagedBatch>, PCollection<MergeResult>> {
  public static final String BATCHES_MERGED = "batches_merged";
  public static final String BATCHES_ALREADY_APPLIED = "batches_already_applied";
  /** Merges run: as many as batches merged, or fewer where batches were merged together. */
  public static final String MERGES = "merges";
  public static final String ROWS_INSERTED = "rows_inserted";
  public static final String ROWS_UPDATED = "rows_updated";
  public static final String ROWS_DELETED = "rows_deleted";
  public static final String CHANGES_IGNORED = "changes_ignored_as_old";
  public static final String MERGE_BYTES_PROCESSED = "merge_bytes_processed";
  public static final String MERGE_SLOT_MILLIS = "merge_slot_millis";
  /** Wall time spent in the warehouse's merges (loads included), summed over batches. */
  public static final String MERGE_WALL_MILLIS = "merge_wall_millis";

  private final WarehouseSpec warehouse;
  private final Map<String, TargetTable> tables;
  private final boolean keepStaging;
  private final boolean followSchemaChanges;
  private final boolean inWindowOrder;

  private MergeBatches(WarehouseSpec warehouse, Map<String, TargetTable> tables, boolean keepStaging,
      boolean followSchemaChanges, boolean inWindowOrder) {
    this.warehouse = warehouse;
    this.tables = tables;
    this.keepStaging = keepStaging;
    this.followSchemaChanges = followSchemaChanges;
    this.inWindowOrder = inWindowOrder;
  }

  public static MergeBatches into(WarehouseSpec warehouse, TargetTable table) {
    return into(warehouse, List.of(table));
  }

  /** Batches of several tables, each merged into the table it names. */
  public static MergeBatches into(WarehouseSpec warehouse, List<TargetTable> tables) {
    Map<String, TargetTable> byName = new HashMap<>();
    for (TargetTable t : tables) {
      byName.put(t.name(), t);
    }
    return new MergeBatches(warehouse, Map.copyOf(byName), false, false, false);
  }

  /** Keeps staged files after their batch is merged (for inspection). */
  public MergeBatches keepingStaging(boolean keep) {
    return new MergeBatches(warehouse, tables, keep, followSchemaChanges, inWindowOrder);
  }

  /** Merges each batch into the table as the warehouse has it then, columns added since the start included. */
  public MergeBatches followingSchemaChanges() {
    return new MergeBatches(warehouse, tables, keepStaging, true, inWindowOrder);
  }

  /**
   * Merges each table's batches one at a time, a window's only once every earlier window's are
   * merged, and outputs each result in its batch's window. A stream needs this: a change that
   * leaves columns out is completed from the target's row, so the windows before it must be in
   * the target first, while the runner may have several windows' batches ready at once, in any
   * order. (The sequence guards make order irrelevant only for whole rows.)
   */
  public MergeBatches inWindowOrder() {
    return new MergeBatches(warehouse, tables, keepStaging, followSchemaChanges, true);
  }

  @Override
  public PCollection<MergeResult> expand(PCollection<StagedBatch> batches) {
    BatchMerger merger = new BatchMerger(warehouse, tables, keepStaging, followSchemaChanges);
    if (!inWindowOrder && warehouse.mergesOneAtATime() && batches.isBounded() == PCollection.IsBounded.BOUNDED) {
      // The batches of a bounded run share no key, and such a warehouse would merge them one after
      // another anyway, each matching the whole target: wait for all of them, merge them together.
      return batches
          .apply("By table", WithKeys.of(StagedBatch::table).withKeyType(TypeDescriptors.strings()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), StagedBatch.coder()))
          .apply("All of a table", GroupByKey.create())
          .apply("Load and merge together", ParDo.of(new MergeTogetherFn(merger)))
          .setCoder(MergeResult.coder());
    }
    if (!inWindowOrder) {
      return batches.apply("Load and merge", ParDo.of(new MergeFn(merger))).setCoder(MergeResult.coder());
    }
    @SuppressWarnings("unchecked") // Results go back into the windows their batches came in.
    WindowFn<Object, ?> windows = (WindowFn<Object, ?>) batches.getWindowingStrategy().getWindowFn();
    return batches
        .apply("By table", WithKeys.of(StagedBatch::table).withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StagedBatch.coder()))
        .apply("Across windows", Window.into(new GlobalWindows()))
        .apply("Load and merge in window order", ParDo.of(new InWindowOrderFn(merger)))
        .setCoder(MergeResult.coder())
        .apply("Back in their windows", Window.into(windows));
  }

  private static final class MergeFn extends DoFn<StagedBatch, MergeResult> {
    private final BatchMerger merger;

    MergeFn(BatchMerger merger) {
      this.merger = merger;
    }

    @ProcessElement
    public void process(@Element StagedBatch batch, OutputReceiver<MergeResult> out) throws IOException {
      out.output(merger.merge(batch));
    }
  }

  /**
   * Merges all of a table's batches with as few merges as the warehouse can, in the order of their
   * ids, so that a run again over the same input groups them alike.
   */
  private static final class MergeTogetherFn extends DoFn<KV<String, Iterable<StagedBatch>>, MergeResult> {
    private final BatchMerger merger;

    MergeTogetherFn(BatchMerger merger) {
      this.merger = merger;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<StagedBatch>> batches, OutputReceiver<MergeResult> out)
        throws IOException {
      List<StagedBatch> all = new ArrayList<>();
      batches.getValue().forEach(all::add);
      all.sort(Comparator.comparing(StagedBatch::batchId));
      merger.mergeTogether(batches.getKey(), all).forEach(out::output);
    }
  }

  /**
   * Holds a table's batches, each stamped with its window's end, until the watermark passes that
   * end: every batch of that window and of the windows before it has come by then. Then merges
   * them in that order, one at a time (state keyed by table runs one key at a time). The timer is
   * always set at the earliest batch held, so what it releases all ends the same window and its
   * results keep that window's time.
   */
  private static final class InWindowOrderFn extends DoFn<KV<String, StagedBatch>, MergeResult> {
    private final BatchMerger merger;

    @StateId("held")
    private final StateSpec<BagState<TimestampedValue<StagedBatch>>> heldSpec =
        StateSpecs.bag(TimestampedValue.TimestampedValueCoder.of(StagedBatch.coder()));

    @StateId("next")
    private final StateSpec<ValueState<Instant>> nextSpec = StateSpecs.value(InstantCoder.of());

    @TimerId("merge")
    private final TimerSpec mergeSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    InWindowOrderFn(BatchMerger merger) {
      this.merger = merger;
    }

    @ProcessElement
    public void process(@Element KV<String, StagedBatch> batch, @Timestamp Instant time,
        @StateId("held") BagState<TimestampedValue<StagedBatch>> held,
        @StateId("next") ValueState<Instant> next, @TimerId("merge") Timer merge) {
      held.add(TimestampedValue.of(batch.getValue(), time));
      Instant set = next.read();
      if (set == null || time.isBefore(set)) {
        // A late pane's batch sets it behind the watermark: it fires at once.
        merge.set(time);
        next.write(time);
      }
    }

    @OnTimer("merge")
    public void onMerge(@Timestamp Instant time, @StateId("held") BagState<TimestampedValue<StagedBatch>> held,
        @StateId("next") ValueState<Instant> next, @TimerId("merge") Timer merge, OutputReceiver<MergeResult> out)
        throws IOException {
      List<TimestampedValue<StagedBatch>> due = new ArrayList<>();
      List<TimestampedValue<StagedBatch>> later = new ArrayList<>();
      for (TimestampedValue<StagedBatch> b : held.read()) {
        (b.getTimestamp().isAfter(time) ? later : due).add(b);
      }
      due.sort(Comparator.comparing((TimestampedValue<StagedBatch> b) -> b.getTimestamp())
          .thenComparing(b -> b.getValue().batchId()));
      // Never empty: the timer is set at the earliest batch held.
      List<MergeResult> results = merger.mergeAll(due.stream().map(TimestampedValue::getValue).toList());
      for (int i = 0; i < due.size(); i++) {
        out.outputWithTimestamp(results.get(i), due.get(i).getTimestamp());
      }
      held.clear();
      later.forEach(held::add);
      Instant earliest = later.stream().map(TimestampedValue::getTimestamp).min(Comparator.naturalOrder()).orElse(null);
      if (earliest == null) {
        next.clear();
      } else {
        merge.set(earliest);
        next.write(earliest);
      }
    }
  }
}
