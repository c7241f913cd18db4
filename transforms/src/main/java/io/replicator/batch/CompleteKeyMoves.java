package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.StagedBatch;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.source.postgres.TargetKeys;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Stages the keys that UPDATEs moving a key and leaving columns out touch (native lines with
 * {@code _before_<key>} and {@code _unchanged}, Debezium {@code u} events under REPLICA IDENTITY
 * DEFAULT), which batches of whole keys cannot: the moved row's unchanged values are the old key's,
 * just before the move, and the two keys may fall in different batches. Their changes are held out
 * of the batches ({@link StageBatches#spilledHoldingOut}; or left out by {@link
 * StageBatches#reducedLeavingOut} and read again, {@link io.replicator.source.ReadChanges#changesOf})
 * and come here together, every change of both keys of every such move; each move is completed in
 * sequence order ({@link PartialKeyMoves})
 * from the target's record of the old key and the old key's changes, as the merge would build the
 * row just before the move; the keys' latest changes are staged in a batch of their own. No other
 * batch holds these keys, so the target's records of them are as they were before the run (or,
 * after a crash, as this batch left them: then the moves are replays).
 *
 * <pre>{@code
 * PCollectionView<List<String>> keys = moves.apply(CompleteKeyMoves.keysOf());
 * PCollectionTuple staged = spills.apply(StageBatches.spilledHoldingOut(staging, maxBytes, maxRows, keys));
 * PCollection<StagedBatch> moved = staged.get(StageBatches.HELD_OUT)
 *     .apply(CompleteKeyMoves.into(table, ReadTargetRows.in(warehouse), staging, maxBytes, maxRows));
 * }</pre>
 */
public final class CompleteKeyMoves extends PTransform<PCollection<Change>, PCollection<StagedBatch>> {
  private final Map<String, TargetTable> tables;
  private final TargetKeys targets;
  private final String staging;
  private final long maxBytes;
  private final long maxRows;
  private final boolean current;

  private CompleteKeyMoves(Map<String, TargetTable> tables, TargetKeys targets, String staging, long maxBytes,
      long maxRows, boolean current) {
    this.tables = tables;
    this.targets = targets;
    this.staging = staging;
    this.maxBytes = maxBytes;
    this.maxRows = maxRows;
    this.current = current;
  }

  /** Completes the held-out changes' key moves into {@code table}, reading its rows through {@code targets}. */
  public static CompleteKeyMoves into(TargetTable table, TargetKeys targets, String staging, long maxBytes,
      long maxRows) {
    return into(List.of(table), targets, staging, maxBytes, maxRows);
  }

  /** The same into several tables, each change's by its name. */
  public static CompleteKeyMoves into(List<TargetTable> tables, TargetKeys targets, String staging, long maxBytes,
      long maxRows) {
    Map<String, TargetTable> byName = new HashMap<>();
    tables.forEach(t -> byName.put(t.name(), t));
    return new CompleteKeyMoves(Map.copyOf(byName), targets, staging, maxBytes, maxRows, false);
  }

  /**
   * Completes rows with the columns each target has when the moves are completed ({@link
   * TargetKeys#current}), those a stream added since it started included; without this, the
   * columns the tables were given.
   */
  public CompleteKeyMoves followingSchemaChanges() {
    return new CompleteKeyMoves(tables, targets, staging, maxBytes, maxRows, true);
  }

  /**
   * The ids each partial key move needs held together ({@link PartialKeyMoves#idsOf}: both keys,
   * or the new key and the position of the old key's deletion), as a side input.
   */
  public static PTransform<PCollection<Change>, PCollectionView<List<String>>> keysOf() {
    return new PTransform<>() {
      @Override
      public PCollectionView<List<String>> expand(PCollection<Change> moves) {
        return moves
            .apply("Both keys", FlatMapElements.into(TypeDescriptors.strings()).via(PartialKeyMoves::idsOf))
            .apply("As side input", View.asList());
      }
    };
  }

  @Override
  public PCollection<StagedBatch> expand(PCollection<Change> heldOut) {
    return heldOut
        .apply("By table", WithKeys.of(Change::table).withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ChangeCoder.of()))
        .apply("Together", GroupByKey.create())
        .apply("Complete and stage", ParDo.of(new CompleteFn(tables, targets, current,
            new StageBatches.Stager(staging, maxBytes, maxRows))))
        .setCoder(StagedBatch.coder());
  }

  private static final class CompleteFn extends DoFn<KV<String, Iterable<Change>>, StagedBatch> {
    private final Map<String, TargetTable> tables;
    private final TargetKeys targets;
    private final boolean current;
    private final StageBatches.Stager stager;
    private final Counter completedMoves = Counters.counter(PartialKeyMoves.COMPLETED);

    CompleteFn(Map<String, TargetTable> tables, TargetKeys targets, boolean current, StageBatches.Stager stager) {
      this.tables = tables;
      this.targets = targets;
      this.current = current;
      this.stager = stager;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<Change>> group, OutputReceiver<StagedBatch> out)
        throws Exception {
      // Duplicated input lines are one change here.
      Set<Change> changes = new LinkedHashSet<>();
      group.getValue().forEach(changes::add);
      Map<String, List<Change>> history = new HashMap<>();
      List<PartialKeyMoves.Move> moves = new ArrayList<>();
      LatestPerKey latest = new LatestPerKey();
      // A create whose old key is the one deleted at its position is paired with that deletion.
      Map<String, String> deletedAt = new HashMap<>();
      for (Change c : changes) {
        if (c.op() == ChangeOp.DELETE) {
          deletedAt.put(PartialKeyMoves.positionId(c.table(), c.sequence()), c.key());
        }
      }
      for (Change c : changes) {
        if (Change.DELETED_AT_SAME_POSITION.equals(c.movedFrom())) {
          String oldKey = deletedAt.get(PartialKeyMoves.positionId(c.table(), c.sequence()));
          c = oldKey == null ? c.withoutMove() : c.withoutMove().movedFrom(oldKey);
        }
        history.computeIfAbsent(PartialKeyMoves.id(c.table(), c.key()), k -> new ArrayList<>()).add(c);
        if (c.movedFrom() != null) {
          moves.add(new PartialKeyMoves.Move(c.movedFrom(), c));
        } else {
          latest.add(c);
        }
      }
      TargetTable declared = tables.get(group.getKey());
      if (declared == null) {
        throw new IllegalStateException("key moves of table '" + group.getKey() + "', which this run does not merge");
      }
      TargetTable table = current ? targets.current(declared) : declared;
      int completed = PartialKeyMoves.complete(moves, history, name -> table, targets.recordsOf(name -> table),
          c -> latest.add(c.withoutMove()));
      completedMoves.inc(completed);
      stager.stage("moves:" + group.getKey(), latest, out::output);
    }
  }
}
