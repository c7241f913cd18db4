package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.source.postgres.TargetKeys;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

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
 * window's changes of it laid over. That holds every earlier change of the old key when the delete
 * half is in the window, because the delete is the old key's last change before the move and each
 * key's changes are read in order (a Kafka partition, a Pub/Sub ordering key, a file). A create
 * whose delete half is not in its window is not completed: the merge then dead-letters it as a row
 * without base (or ignores it as a replay), never writing a value from the wrong row.
 */
public final class StageCompletingKeyMoves extends PTransform<PCollection<Change>, PCollection<StagedBatch>> {
  private static final TupleTag<Change> BATCHED = new TupleTag<>() {};
  private static final TupleTag<Change> HELD = new TupleTag<>() {};

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
    PCollection<String> moveIds = changes
        .apply("Key moves", Filter.by((Change c) -> c.movedFrom() != null))
        .apply("Ids of key moves", FlatMapElements.into(TypeDescriptors.strings()).via(PartialKeyMoves::idsOf));
    PCollectionView<List<String>> positions = moveIds.apply("Positions of key moves", View.asList());
    PCollection<String> oldKeys = changes.apply("Keys deleted at key moves",
        ParDo.of(new DeletedAtMovesFn(positions)).withSideInputs(positions));
    PCollectionView<List<String>> held = PCollectionList.of(moveIds).and(oldKeys)
        .apply("All keys of key moves", Flatten.pCollections())
        .apply("Held keys", View.asList());
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

  /** The old key of each split key change: the key deleted at its create's position. */
  private static final class DeletedAtMovesFn extends DoFn<Change, String> {
    private final PCollectionView<List<String>> positions;

    DeletedAtMovesFn(PCollectionView<List<String>> positions) {
      this.positions = positions;
    }

    @ProcessElement
    public void process(@Element Change c, OutputReceiver<String> out, ProcessContext ctx) {
      if (c.op() == ChangeOp.DELETE && c.movedFrom() == null) {
        List<String> ids = ctx.sideInput(positions);
        if (!ids.isEmpty() && ids.contains(PartialKeyMoves.positionId(c.table(), c.sequence()))) {
          out.output(PartialKeyMoves.id(c.table(), c.key()));
        }
      }
    }
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
