package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.source.jdbc.Lsn;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies, for a replication slot's readers, a TRUNCATE of a replicated table: a DELETE, at the
 * TRUNCATE's place in the commit order, of every row the table may hold. Those are the rows of the
 * changes read since the slot's confirmed position (read again: passed on, maybe not merged yet),
 * then the target's rows (merged, whose positions the slot confirmed); a change merged between the
 * two reads is in one of them. Changes after the TRUNCATE sort above its DELETEs and stay; so does
 * a target row newer than it (a replay). The reader applies it in place, so nothing it read has to
 * be held back until the TRUNCATE is known.
 */
public final class SlotTruncates {
  private static final Logger LOG = LoggerFactory.getLogger(SlotTruncates.class);

  private SlotTruncates() {}

  /**
   * Passes to {@code out} a DELETE at {@code at} of every row {@code table} (a target name among
   * {@code tables}) may hold.
   *
   * @param adder where the reader adds columns new at the source, or null
   * @param target the target's rows
   */
  public static void apply(ReplicationSlot slot, String table, Sequence at, Map<String, TargetTable> tables,
      SlotChangeDecoder.ColumnAdder adder, TargetKeys target, Consumer<Change> out) throws Exception {
    // One DELETE per key: the keys of the changes read since the confirmed position are held (as
    // many as that read has keys), the target's rows stream past.
    Set<String> read = new HashSet<>();
    SlotPeek.changesBefore(slot, at, table, tables, adder, c -> {
      if (read.add(c.key())) {
        out.accept(new Change(table, ChangeOp.DELETE, c.key(), at, c.rowJson()));
      }
    });
    long[] merged = new long[1];
    TargetTable targetTable = tables.values().stream().filter(t -> t.name().equals(table)).findFirst().orElseThrow();
    target.forEachRow(targetTable, c -> {
      if (!read.contains(c.key())) {
        merged[0]++;
        out.accept(new Change(table, ChangeOp.DELETE, c.key(), at, c.rowJson()));
      }
    });
    LOG.info("TRUNCATE of {} at LSN {}: deleting {} rows of the target and {} of changes not confirmed merged",
        table, Lsn.text(at.part(0)), merged[0], read.size());
  }
}
