package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.source.ChangeSpill;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads the changes a replication slot holds, committed before a given WAL position, without
 * consuming them: the slot is confirmed ({@link SlotConfirmation}) once they are merged, so a run that
 * fails reads them again. One reader (a slot has one position); the rows stream from the server,
 * and with {@link #spillingInto} they go to spill files as they come, so a backlog of any size is
 * never held in memory.
 *
 * <pre>{@code
 * ReadChanges.Result changes = p.apply(ReadSlotChanges.of(slot, state.end(), Map.of("public.orders", target)));
 * }</pre>
 */
public final class ReadSlotChanges extends PTransform<PBegin, ReadChanges.Result> implements ChangeSpill.Spilling {
  public static final String TRANSACTIONS_READ = "wal_transactions_read";
  public static final String MESSAGES_READ = "wal_messages_read";
  /** Inserts, updates and deletes of the replicated tables (a key change counts once). */
  public static final String ROW_CHANGES_READ = "wal_row_changes_read";
  /** TRUNCATEs of replicated tables applied, each a DELETE of every row its table may hold. */
  public static final String TRUNCATES_APPLIED = "truncates_applied";

  private static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>() {};
  private static final TupleTag<KV<String, String>> SPILLS = new TupleTag<>() {};

  private final ReplicationSlot slot;
  private final long end;
  private final Map<String, TargetTable> tables;
  private final int fetchSize;
  private final TargetKeys targetKeys;
  private final ChangeSpill spill;

  private ReadSlotChanges(ReplicationSlot slot, long end, Map<String, TargetTable> tables, int fetchSize,
      TargetKeys targetKeys, ChangeSpill spill) {
    this.slot = slot;
    this.end = end;
    this.tables = tables;
    this.fetchSize = fetchSize;
    this.targetKeys = targetKeys;
    this.spill = spill;
  }

  /**
   * The changes of {@code tables} (targets by source {@code schema.table}) committed before
   * {@code end}.
   */
  public static ReadSlotChanges of(ReplicationSlot slot, long end, Map<String, TargetTable> tables) {
    return new ReadSlotChanges(slot, end, Map.copyOf(tables), 10_000, null, null);
  }

  public ReadSlotChanges withFetchSize(int rows) {
    return new ReadSlotChanges(slot, end, tables, rows, targetKeys, spill);
  }

  /**
   * Applies a TRUNCATE of a replicated table in its place ({@link SlotTruncates}), and completes
   * each key move that leaves columns out from the old key's row ({@link PartialMoves}), the
   * target's rows read through {@code keys}. Without this a TRUNCATE stops the read, and such a
   * move is a dead letter.
   */
  public ReadSlotChanges withTargetRows(TargetKeys keys) {
    return new ReadSlotChanges(slot, end, tables, fetchSize, keys, spill);
  }

  /** Appends the changes to {@code spill}'s files as they are read and passes on the files. */
  @Override
  public ReadSlotChanges spillingInto(ChangeSpill spill) {
    return new ReadSlotChanges(slot, end, tables, fetchSize, targetKeys, spill);
  }

  @Override
  public ReadChanges.Result expand(PBegin input) {
    PCollectionTuple out = input
        .apply("One reader", Create.of(0).withCoder(VarIntCoder.of()))
        .apply("Read slot", ParDo.of(new ReadFn(this))
            .withOutputTags(CHANGES, TupleTagList.of(DEAD_LETTERS).and(SPILLS)));
    PCollection<Change> changes = out.get(CHANGES).setCoder(ChangeCoder.of());
    PCollection<DeadLetter> deadLetters = out.get(DEAD_LETTERS).setCoder(DeadLetter.coder());
    return spill == null ? ReadChanges.Result.of(input.getPipeline(), changes, deadLetters)
        : ReadChanges.Result.spilled(input.getPipeline(), changes, deadLetters,
            out.get(SPILLS).setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));
  }

  private static final class ReadFn extends DoFn<Integer, Change> {
    private final ReadSlotChanges spec;
    private final Counter truncated = Counters.counter(TRUNCATES_APPLIED);

    ReadFn(ReadSlotChanges spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(MultiOutputReceiver out) throws Exception {
      // Applied once the read has let go of the slot: a TRUNCATE reads it again.
      List<KV<String, Sequence>> truncates = new ArrayList<>();
      List<PartialKeyMoves.Move> moves = new ArrayList<>();
      boolean target = spec.targetKeys != null;
      try (ChangeSpill.Writer spill = spec.spill == null ? null : spec.spill.open()) {
        Consumer<Change> changes = spill != null ? spill::write : out.get(CHANGES)::output;
        SlotPeek.read(spec.slot, spec.end, 0, spec.tables, null,
            target ? (table, at) -> truncates.add(KV.of(table, at)) : null, target ? moves::add : null,
            spec.fetchSize, changes, out.get(DEAD_LETTERS)::output);
        for (KV<String, Sequence> truncate : truncates) {
          SlotTruncates.apply(spec.slot, truncate.getKey(), truncate.getValue(), spec.tables, null, spec.targetKeys,
              changes);
          truncated.inc();
        }
        PartialMoves.complete(spec.slot, spec.end, spec.tables, null, spec.targetKeys, moves, changes);
        if (spill != null) {
          spill.finish().forEach((batch, file) -> out.get(SPILLS).output(KV.of(batch, file)));
        }
      }
    }
  }
}
