package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import java.sql.SQLException;
import java.util.Map;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads the changes a replication slot holds, committed before a given WAL position, without
 * consuming them: the slot is confirmed by {@link ConfirmSlot} once they are merged, so a run that
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

  private final ReplicationSlot slot;
  private final long end;
  private final Map<String, TargetTable> tables;
  private final int fetchSize;

  private ReadSlotChanges(ReplicationSlot slot, long end, Map<String, TargetTable> tables, int fetchSize) {
    this.slot = slot;
    this.end = end;
    this.tables = tables;
    this.fetchSize = fetchSize;
  }

  /**
   * The changes of {@code tables} (targets by source {@code schema.table}) committed before
   * {@code end}.
   */
  public static ReadSlotChanges of(ReplicationSlot slot, long end, Map<String, TargetTable> tables) {
    return new ReadSlotChanges(slot, end, Map.copyOf(tables), 10_000);
  }

  public ReadSlotChanges withFetchSize(int rows) {
    return new ReadSlotChanges(slot, end, tables, rows);
  }

  @Override
  public ReadChanges.Result expand(PBegin input) {
    PCollectionTuple out = input
        .apply("One reader", Create.of(0).withCoder(VarIntCoder.of()))
        .apply("Read slot", ParDo.of(new ReadFn(this)).withOutputTags(CHANGES, TupleTagList.of(DEAD_LETTERS)));
    return ReadChanges.Result.of(input.getPipeline(), out.get(CHANGES).setCoder(ChangeCoder.of()),
        out.get(DEAD_LETTERS).setCoder(DeadLetter.coder()));
  }

  private static final class ReadFn extends DoFn<Integer, Change> {
    private final ReadSlotChanges spec;
    private final Counter decoded = Counters.counter(ReadChanges.CHANGES_DECODED);
    private final Counter rejected = Counters.counter(ReadChanges.REJECTED);
    private final Counter skipped = Counters.counter(ReadChanges.SKIPPED);
    private final Counter transactions = Counters.counter(TRANSACTIONS_READ);
    private final Counter messages = Counters.counter(MESSAGES_READ);
    private final Counter rowChanges = Counters.counter(ROW_CHANGES_READ);
    private final Counter bytes = Counters.counter(ReadChanges.BYTES_READ);

    ReadFn(ReadSlotChanges spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(MultiOutputReceiver out) throws SQLException {
      SlotPeek.Read read = SlotPeek.read(spec.slot, spec.end, 0, spec.tables, spec.fetchSize, change -> {
        decoded.inc();
        out.get(CHANGES).output(change);
      }, dead -> {
        rejected.inc();
        out.get(DEAD_LETTERS).output(dead);
      });
      messages.inc(read.messages());
      bytes.inc(read.bytes());
      transactions.inc(read.transactions());
      rowChanges.inc(read.rowChanges());
      skipped.inc(read.skipped());
    }
  }
}
