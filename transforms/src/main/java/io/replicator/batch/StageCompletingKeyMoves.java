package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.source.postgres.TargetKeys;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.CombineWithContext;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Stages a stream window's changes ({@link StageBatches}) with the keys of its partial key moves
 * apart: every change in the window of both keys of each move (for a key change the connector
 * split in two, the new key and the key deleted at the create's position) is held out of the
 * batches and staged completed ({@link CompleteKeyMoves}), as a batch run does with its whole input.
 *
 * <pre>{@code
 * PCollection<StagedBatch> staged = windowedChanges.apply(
 *     StageCompletingKeyMoves.of(tables, ReadTargetRows.in(warehouse), staging, maxBytes, maxRows));
 * }</pre>
 *
 * <p>The old key's row before the move is the target's record of it (earlier windows) with the
 * window's changes of it laid over. For a move that names its old key, that takes events read in
 * source order window by window ({@code ReplicateStream#inSourceOrder}). For a split key change it
 * holds every earlier change of the old key whenever the delete half is in the window, because the delete is the old key's last change before the move and each
 * key's changes are read in order (a Kafka partition, a Pub/Sub ordering key, a file). A create
 * whose delete half is not in its window is not completed: the merge then dead-letters it as a row
 * without base (or ignores it as a replay), never writing a value from the wrong row.
 */
public final class StageCompletingKeyMoves extends PTransform<PCollection<Change>, PCollection<StagedBatch>> {
  private static final TupleTag<Change> BATCHED = new TupleTag<>() {};
  private static final TupleTag<Change> HELD = new TupleTag<>() {};
  /** Ids of keys and positions ({@link PartialKeyMoves#id}, {@link PartialKeyMoves#positionId}). */
  private static final Coder<List<String>> IDS = ListCoder.of(StringUtf8Coder.of());

  private final List<TargetTable> tables;
  private final TargetKeys targets;
  private final String staging;
  private final long maxBytes;
  private final long maxRows;

  private StageCompletingKeyMoves(List<TargetTable> tables, TargetKeys targets, String staging, long maxBytes,
      long maxRows) {
    this.tables = List.copyOf(tables);
    this.targets = targets;
    this.staging = staging;
    this.maxBytes = maxBytes;
    this.maxRows = maxRows;
  }

  /** Stages into {@code staging} in batches of at most {@code maxBytes} and {@code maxRows}. */
  public static StageCompletingKeyMoves of(List<TargetTable> tables, TargetKeys targets, String staging,
      long maxBytes, long maxRows) {
    return new StageCompletingKeyMoves(tables, targets, staging, maxBytes, maxRows);
  }

  @Override
  public PCollection<StagedBatch> expand(PCollection<Change> changes) {
    // Side inputs combined from every change of the window, as the batch count is: each window
    // that has changes has them (an empty list most often), so no change waits on an empty view.
    PCollectionView<List<String>> moves = changes
        .apply("Ids of key moves", Combine.globally(new MoveIdsFn()).withoutDefaults())
        .apply("Moves as side input", View.asSingleton());
    PCollectionView<List<String>> held = changes
        .apply("Keys of key moves", Combine.globally(new HeldKeysFn(moves)).withoutDefaults().withSideInputs(moves))
        .apply("Held keys as side input", View.asSingleton());
    PCollectionTuple routed = changes.apply("Hold key moves apart",
        ParDo.of(new HoldFn(held)).withSideInputs(held).withOutputTags(BATCHED, TupleTagList.of(HELD)));
    PCollection<StagedBatch> batched = routed.get(BATCHED).setCoder(ChangeCoder.of())
        .apply("Stage batches", StageBatches.to(staging).withMaxBytes(maxBytes).withMaxRows(maxRows));
    PCollection<StagedBatch> moved = routed.get(HELD).setCoder(ChangeCoder.of())
        .apply("Complete key moves",
            CompleteKeyMoves.into(tables, targets, staging, maxBytes, maxRows).followingSchemaChanges());
    return PCollectionList.of(batched).and(moved).apply("All staged", Flatten.pCollections())
        .setCoder(StagedBatch.coder());
  }

  /** The ids each partial key move of the window needs held ({@link PartialKeyMoves#idsOf}). */
  private static final class MoveIdsFn extends Combine.CombineFn<Change, List<String>, List<String>> {
    @Override
    public List<String> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<String> addInput(List<String> ids, Change c) {
      if (c.movedFrom() != null) {
        ids.addAll(PartialKeyMoves.idsOf(c));
      }
      return ids;
    }

    @Override
    public List<String> mergeAccumulators(Iterable<List<String>> all) {
      return concat(all);
    }

    @Override
    public List<String> extractOutput(List<String> ids) {
      return List.copyOf(new LinkedHashSet<>(ids));
    }

    @Override
    public Coder<List<String>> getAccumulatorCoder(CoderRegistry registry, Coder<Change> input) {
      return IDS;
    }

    @Override
    public Coder<List<String>> getDefaultOutputCoder(CoderRegistry registry, Coder<Change> input) {
      return IDS;
    }
  }

  /**
   * Every id to hold: the moves' own ({@link MoveIdsFn}) and, for a split key change, the key
   * deleted at its create's position (its old key).
   */
  private static final class HeldKeysFn extends CombineWithContext.CombineFnWithContext<Change, List<String>,
      List<String>> {
    private final PCollectionView<List<String>> moves;
    private transient List<String> seen;
    private transient Set<String> ids;

    HeldKeysFn(PCollectionView<List<String>> moves) {
      this.moves = moves;
    }

    @Override
    public List<String> createAccumulator(CombineWithContext.Context ctx) {
      return new ArrayList<>();
    }

    @Override
    public List<String> addInput(List<String> held, Change c, CombineWithContext.Context ctx) {
      List<String> moveIds = ctx.sideInput(moves);
      if (moveIds.isEmpty()) {
        return held;
      }
      if (moveIds != seen) { // One set per window's side input, not one per change.
        seen = moveIds;
        ids = new HashSet<>(moveIds);
      }
      if (c.movedFrom() != null) {
        held.addAll(PartialKeyMoves.idsOf(c));
      } else if (c.op() == ChangeOp.DELETE && ids.contains(PartialKeyMoves.positionId(c.table(), c.sequence()))) {
        held.add(PartialKeyMoves.id(c.table(), c.key()));
      }
      return held;
    }

    @Override
    public List<String> mergeAccumulators(Iterable<List<String>> all, CombineWithContext.Context ctx) {
      return concat(all);
    }

    @Override
    public List<String> extractOutput(List<String> held, CombineWithContext.Context ctx) {
      return List.copyOf(new LinkedHashSet<>(held));
    }

    @Override
    public Coder<List<String>> getAccumulatorCoder(CoderRegistry registry, Coder<Change> input) {
      return IDS;
    }

    @Override
    public Coder<List<String>> getDefaultOutputCoder(CoderRegistry registry, Coder<Change> input) {
      return IDS;
    }
  }

  private static List<String> concat(Iterable<List<String>> all) {
    List<String> ids = new ArrayList<>();
    all.forEach(ids::addAll);
    return ids;
  }

  private static final class HoldFn extends DoFn<Change, Change> {
    private final PCollectionView<List<String>> held;
    private transient List<String> seen;
    private transient Set<String> ids;

    HoldFn(PCollectionView<List<String>> held) {
      this.held = held;
    }

    @ProcessElement
    public void process(@Element Change c, MultiOutputReceiver out, ProcessContext ctx) {
      List<String> keys = ctx.sideInput(held);
      if (keys != seen) { // One set per window's side input, not one per change.
        seen = keys;
        ids = keys.isEmpty() ? Set.of() : new HashSet<>(keys);
      }
      // A move always goes apart: one the side input missed (a late pane) is passed on uncompleted there.
      boolean apart = c.movedFrom() != null || (!ids.isEmpty() && (ids.contains(PartialKeyMoves.id(c.table(), c.key()))
          || c.op() == ChangeOp.DELETE && ids.contains(PartialKeyMoves.positionId(c.table(), c.sequence()))));
      out.get(apart ? HELD : BATCHED).output(c);
    }
  }
}
