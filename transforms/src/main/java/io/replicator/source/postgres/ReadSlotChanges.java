package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads the changes a replication slot holds, committed before a given WAL position, without
 * consuming them: the slot is confirmed ({@link SlotConfirmation}) once they are merged, so a run that
 * fails reads them again. One reader (a slot has one position); the rows stream from the server.
 *
 * <pre>{@code
 * ReadChanges.Result changes = p.apply(ReadSlotChanges.of(slot, state.end(), Map.of("public.orders", target)));
 * }</pre>
 */
public final class ReadSlotChanges extends PTransform<PBegin, ReadChanges.Result> {
  public static final String TRANSACTIONS_READ = "wal_transactions_read";
  public static final String MESSAGES_READ = "wal_messages_read";
  /** Inserts, updates and deletes of the replicated tables (a key change counts once). */
  public static final String ROW_CHANGES_READ = "wal_row_changes_read";

  private static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};
  private static final TupleTag<KV<String, String>> TRUNCATES = new TupleTag<>() {};
  /** TRUNCATEs of replicated tables applied (each table's last in the run). */
  public static final String TRUNCATES_APPLIED = "truncates_applied";
  /** Changes dropped because a later TRUNCATE of their table removes what they did. */
  public static final String CHANGES_BEFORE_TRUNCATE = "changes_before_truncate";

  private final ReplicationSlot slot;
  private final long end;
  private final Map<String, TargetTable> tables;
  private final int fetchSize;
  private final TargetKeys targetKeys;

  private ReadSlotChanges(ReplicationSlot slot, long end, Map<String, TargetTable> tables, int fetchSize,
      TargetKeys targetKeys) {
    this.slot = slot;
    this.end = end;
    this.tables = tables;
    this.fetchSize = fetchSize;
    this.targetKeys = targetKeys;
  }

  /**
   * The changes of {@code tables} (targets by source {@code schema.table}) committed before
   * {@code end}.
   */
  public static ReadSlotChanges of(ReplicationSlot slot, long end, Map<String, TargetTable> tables) {
    return new ReadSlotChanges(slot, end, Map.copyOf(tables), 10_000, null);
  }

  public ReadSlotChanges withFetchSize(int rows) {
    return new ReadSlotChanges(slot, end, tables, rows, targetKeys);
  }

  /**
   * Applies a TRUNCATE of a replicated table: the changes before it are dropped, and every row the
   * target holds ({@code keys}) is deleted at its place in the commit order, so the target keeps
   * only what came after it (rows newer than it, from a replay, stay). Also completes each key move
   * that leaves columns out from the old key's row ({@link PartialMoves}). Without this a TRUNCATE
   * stops the read, and such a move is a dead letter.
   */
  public ReadSlotChanges withTargetRows(TargetKeys keys) {
    return new ReadSlotChanges(slot, end, tables, fetchSize, keys);
  }

  @Override
  public ReadChanges.Result expand(PBegin input) {
    PCollectionTuple out = input
        .apply("One reader", Create.of(0).withCoder(VarIntCoder.of()))
        .apply("Read slot", ParDo.of(new ReadFn(this))
            .withOutputTags(CHANGES, TupleTagList.of(DEAD_LETTERS).and(TRUNCATES)));
    PCollection<Change> changes = out.get(CHANGES).setCoder(ChangeCoder.of());
    PCollection<DeadLetter> deadLetters = out.get(DEAD_LETTERS).setCoder(DeadLetter.coder());
    if (targetKeys == null) {
      return ReadChanges.Result.of(input.getPipeline(), changes, deadLetters);
    }
    // Each table's last TRUNCATE: what came before it is gone, from the run and from the target.
    PCollection<KV<String, String>> truncates = out.get(TRUNCATES)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
        .apply("Last truncate per table", Combine.perKey(ReadSlotChanges::later));
    PCollectionView<Map<String, String>> last = truncates.apply("Truncates", View.asMap());
    Map<String, TargetTable> byName = new HashMap<>();
    tables.values().forEach(t -> byName.put(t.name(), t));
    PCollection<Change> kept = changes.apply("Drop changes before a truncate",
        ParDo.of(new DropBeforeTruncateFn(last)).withSideInputs(last)).setCoder(ChangeCoder.of());
    PCollection<Change> removed = truncates.apply("Delete the target's rows",
        ParDo.of(new TruncateTargetFn(targetKeys, byName))).setCoder(ChangeCoder.of());
    return ReadChanges.Result.of(input.getPipeline(),
        PCollectionList.of(kept).and(removed).apply("With truncates", Flatten.pCollections()), deadLetters);
  }

  private static String later(Iterable<String> sequences) {
    Sequence latest = null;
    for (String s : sequences) {
      Sequence q = Sequence.parse(s);
      latest = latest == null || q.compareTo(latest) > 0 ? q : latest;
    }
    return latest == null ? "0" : latest.toString();
  }

  private static final class DropBeforeTruncateFn extends DoFn<Change, Change> {
    private final PCollectionView<Map<String, String>> last;
    private final Counter dropped = Counters.counter(CHANGES_BEFORE_TRUNCATE);

    DropBeforeTruncateFn(PCollectionView<Map<String, String>> last) {
      this.last = last;
    }

    /** The side input's positions, parsed once per worker rather than once per change. */
    private transient Map<String, Sequence> parsed;

    @ProcessElement
    public void process(ProcessContext c) {
      if (parsed == null) {
        parsed = new HashMap<>();
      }
      String truncate = c.sideInput(last).get(c.element().table());
      if (truncate != null
          && c.element().sequence().compareTo(parsed.computeIfAbsent(truncate, Sequence::parse)) < 0) {
        dropped.inc();
        return;
      }
      c.output(c.element());
    }
  }

  private static final class TruncateTargetFn extends DoFn<KV<String, String>, Change> {
    private final TargetKeys keys;
    private final Map<String, TargetTable> tables;
    private final Counter applied = Counters.counter(TRUNCATES_APPLIED);

    TruncateTargetFn(TargetKeys keys, Map<String, TargetTable> tables) {
      this.keys = keys;
      this.tables = tables;
    }

    @ProcessElement
    public void process(@Element KV<String, String> truncate, OutputReceiver<Change> out) throws Exception {
      TargetTable table = tables.get(truncate.getKey());
      Sequence at = Sequence.parse(truncate.getValue());
      keys.forEachRow(table, row -> out.output(new Change(table.name(), ChangeOp.DELETE, row.key(), at, row.rowJson())));
      applied.inc();
    }
  }

  private static final class ReadFn extends DoFn<Integer, Change> {
    private final ReadSlotChanges spec;

    ReadFn(ReadSlotChanges spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(MultiOutputReceiver out) throws Exception {
      List<PartialKeyMoves.Move> moves = new ArrayList<>();
      boolean target = spec.targetKeys != null;
      SlotPeek.read(spec.slot, spec.end, 0, spec.tables, null,
          target ? (table, at) -> out.get(TRUNCATES).output(KV.of(table, at.toString())) : null,
          target ? moves::add : null, spec.fetchSize, out.get(CHANGES)::output, out.get(DEAD_LETTERS)::output);
      PartialMoves.complete(spec.slot, spec.end, spec.tables, null, spec.targetKeys, moves, out.get(CHANGES)::output);
    }
  }
}
