package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.ColumnType;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import io.replicator.source.jdbc.JdbcTypes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.beam.sdk.metrics.Counter;

/**
 * One read of what a replication slot holds, committed before a WAL position: the messages
 * streamed from the server, decoded into changes and dead letters as they come, the slot left as
 * it was. Shared by the batch read ({@link ReadSlotChanges}) and the stream's polls.
 */
public final class SlotPeek {
  private SlotPeek() {}

  /** What a read went through. */
  public record Read(long messages, long bytes, long transactions, long rowChanges, long skipped,
      Map<String, Long> newestCommitMillis) {}

  /**
   * Reads and decodes; counts what it went through in the read's metrics (changes decoded,
   * rejected, skipped; messages, bytes, transactions, row changes), for every reader alike.
   *
   * @param from transactions committing before this LSN are skipped (passed on by an earlier read)
   * @param adder where columns new at the source are added to their targets, or null to reject
   *     their changes
   * @param truncates where a TRUNCATE is passed on, or null to stop the read at one
   * @param moves where a key move that leaves columns out is passed on ({@link PartialMoves}), or
   *     null to reject it
   */
  public static Read read(ReplicationSlot slot, long end, long from, Map<String, TargetTable> tables,
      SlotChangeDecoder.ColumnAdder adder, BiConsumer<String, Sequence> truncates,
      Consumer<PartialKeyMoves.Move> moves, int fetchSize, Consumer<Change> changes, Consumer<DeadLetter> rejected)
      throws SQLException {
    Counter decoded = Counters.counter(ReadChanges.CHANGES_DECODED);
    Counter dead = Counters.counter(ReadChanges.REJECTED);
    Consumer<Change> countedChanges = change -> {
      decoded.inc();
      changes.accept(change);
    };
    Consumer<DeadLetter> countedRejected = letter -> {
      dead.inc();
      rejected.accept(letter);
    };
    Consumer<PartialKeyMoves.Move> countedMoves = moves == null ? null : move -> {
      decoded.inc();
      moves.accept(move);
    };
    Read[] read = new Read[1];
    // Nothing is passed on before the slot is acquired, so a read refused then is simply retried.
    ReplicationSlot.whileInUse(() -> read[0] = readOnce(slot, end, from, tables, adder, truncates, countedMoves, fetchSize,
        countedChanges, countedRejected));
    Counters.counter(ReadChanges.SKIPPED).inc(read[0].skipped());
    Counters.counter(ReadSlotChanges.MESSAGES_READ).inc(read[0].messages());
    Counters.counter(ReadChanges.BYTES_READ).inc(read[0].bytes());
    Counters.counter(ReadSlotChanges.TRANSACTIONS_READ).inc(read[0].transactions());
    Counters.counter(ReadSlotChanges.ROW_CHANGES_READ).inc(read[0].rowChanges());
    return read[0];
  }

  /**
   * The changes of {@code table} the slot holds from its confirmed position up to {@code before}
   * (a TRUNCATE's place in the commit order), read again: what a reader passed on but may not have
   * merged yet. Not counted (the read that passed them on was); rejected changes are left out (that
   * read dead-lettered them).
   */
  public static void changesBefore(ReplicationSlot slot, Sequence before, String table, Map<String, TargetTable> tables,
      SlotChangeDecoder.ColumnAdder adder, Consumer<Change> changes) throws SQLException {
    Consumer<Change> earlier = c -> {
      if (c.table().equals(table) && c.sequence().compareTo(before) < 0) {
        changes.accept(c);
      }
    };
    // Up to the TRUNCATE's own transaction, whose changes before it count too.
    changesUpTo(slot, before.part(0) + 1, tables, adder, earlier, m -> earlier.accept(m.moved()));
  }

  /**
   * Every change the slot holds from its confirmed position up to {@code end}, read again, key
   * moves that leave columns out passed to {@code moves} as they are. Not counted; rejected changes
   * left out (the read that passed the changes on counted and dead-lettered them).
   */
  static void changesUpTo(ReplicationSlot slot, long end, Map<String, TargetTable> tables,
      SlotChangeDecoder.ColumnAdder adder, Consumer<Change> changes, Consumer<PartialKeyMoves.Move> moves)
      throws SQLException {
    ReplicationSlot.whileInUse(() -> readOnce(slot, end, 0, tables, adder, (t, at) -> { }, moves, 10_000, changes,
        d -> { }));
  }

  private static Read readOnce(ReplicationSlot slot, long end, long from, Map<String, TargetTable> tables,
      SlotChangeDecoder.ColumnAdder adder, BiConsumer<String, Sequence> truncates, Consumer<PartialKeyMoves.Move> moves,
      int fetchSize, Consumer<Change> changes, Consumer<DeadLetter> rejected) throws SQLException {
    String name = "postgres slot " + slot.slot() + " in " + slot.source().displayUrl();
    try (Connection c = slot.source().open(); Catalog catalog = new Catalog(slot)) {
      SlotChangeDecoder decoder = new SlotChangeDecoder(tables, catalog, name).committedFrom(from).addingColumns(adder)
          .passingTruncates(truncates).passingPartialMoves(moves);
      long messages = 0;
      long bytes = 0;
      try (ResultSet rs = slot.peek(c, end, fetchSize)) {
        while (rs.next()) {
          byte[] data = rs.getBytes(1);
          messages++;
          bytes += data.length;
          decoder.accept(PgOutput.decode(data), changes, rejected);
        }
      }
      c.rollback(); // a peek changes nothing
      return new Read(messages, bytes, decoder.transactions(), decoder.rowChanges(), decoder.skipped(),
          Map.copyOf(decoder.newestCommitMillis()));
    } catch (SQLException e) {
      throw new SQLException("reading " + slot + ": " + e.getMessage(), e.getSQLState(), e);
    }
  }

  /**
   * Types and array values, asked of the database on a connection of their own: array values as
   * {@code to_json} writes them (the table read selects {@code to_json(column)}; the slot sends the
   * array's literal), a new column's type as the table read maps it.
   */
  private static final class Catalog implements SlotChangeDecoder.SourceCatalog, AutoCloseable {
    private final ReplicationSlot slot;
    private final Map<Long, String> typeNames = new HashMap<>();
    private Connection connection;

    Catalog(ReplicationSlot slot) {
      this.slot = slot;
    }

    private Connection connection() throws SQLException {
      if (connection == null) {
        connection = slot.source().open();
      }
      return connection;
    }

    @Override
    public ColumnType columnType(int typeOid, int typeModifier) throws SQLException {
      try (PreparedStatement ps = connection().prepareStatement("SELECT typname FROM pg_type WHERE oid = ?::oid")) {
        ps.setInt(1, typeOid);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new SQLException("no type " + typeOid);
          }
          // numeric(p,s) keeps ((p << 16) | s) + 4 as its modifier; -1 is unconstrained.
          int precision = typeModifier < 4 ? 0 : ((typeModifier - 4) >> 16) & 0xffff;
          int scale = typeModifier < 4 ? 0 : (typeModifier - 4) & 0xffff;
          return JdbcTypes.map(rs.getString(1), Types.OTHER, precision, scale);
        }
      }
    }

    @Override
    public boolean filledWithoutChanges(int tableOid, String column) throws SQLException {
      try (PreparedStatement ps = connection().prepareStatement("SELECT atthasdef OR attidentity <> ''"
          + " OR attgenerated <> '' FROM pg_attribute WHERE attrelid = ?::oid AND attname = ? AND NOT attisdropped")) {
        ps.setInt(1, tableOid);
        ps.setString(2, column);
        try (ResultSet rs = ps.executeQuery()) {
          return !rs.next() || rs.getBoolean(1);
        }
      }
    }

    @Override
    public String arrayJson(int typeOid, int typeModifier, String literal) throws SQLException {
      Connection connection = connection();
      long type = ((long) typeOid << 32) | (typeModifier & 0xffffffffL);
      String typeName = typeNames.get(type);
      if (typeName == null) {
        try (PreparedStatement ps = connection.prepareStatement("SELECT format_type(?::oid, ?)")) {
          ps.setInt(1, typeOid);
          ps.setInt(2, typeModifier);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            typeName = rs.getString(1);
          }
        }
        typeNames.put(type, typeName);
      }
      // The type name is the server's own (format_type quotes what needs quoting).
      try (PreparedStatement ps = connection.prepareStatement("SELECT to_json(?::" + typeName + ")::text")) {
        ps.setString(1, literal);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getString(1);
        }
      }
    }

    @Override
    public void close() throws SQLException {
      if (connection != null) {
        connection.close();
      }
    }
  }
}
