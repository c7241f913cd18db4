package io.replicator.source.postgres;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.Json;
import io.replicator.change.KeyChanges;
import io.replicator.change.KeyChanges.SourceOp;
import io.replicator.change.PartialKeyMoves;
import io.replicator.change.Sequence;
import io.replicator.change.TargetTable;
import io.replicator.change.ValueKind;
import io.replicator.source.DeadLetter;
import io.replicator.source.RejectedInputException;
import io.replicator.source.RowReader;
import io.replicator.source.jdbc.Lsn;
import io.replicator.source.postgres.PgOutput.Relation;
import io.replicator.source.postgres.PgOutput.RelationColumn;
import io.replicator.source.postgres.PgOutput.Tuple;
import io.replicator.source.postgres.PgOutput.ValueState;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns the {@code pgoutput} messages of a slot into changes, in commit order: each change is
 * sequenced by its transaction's commit LSN, then its place in the transaction (from 1), so every
 * change sorts above a table read at a position the slot was confirmed to. A key that moved is a
 * delete of the old key and an upsert of the new one; a TOASTed value an update did not touch is
 * an unchanged column. Values are converted from PostgreSQL's text output exactly as the table
 * read converts them, so both give the same rows. Not thread-safe; one per read.
 */
public final class SlotChangeDecoder {
  /** PostgreSQL's type oids the conversion looks at. */
  private static final int BYTEA = 17;
  private static final int JSON_OID = 114;
  private static final int JSONB = 3802;
  /** PostgreSQL counts time from 2000-01-01. */
  private static final long POSTGRES_EPOCH_MILLIS = 946_684_800_000L;

  /** What the decoder asks the source database. */
  public interface SourceCatalog {
    /** An array literal as JSON, as {@code to_json} writes it in the table read. */
    String arrayJson(int typeOid, int typeModifier, String literal) throws Exception;

    /** The warehouse type of a column of this PostgreSQL type, as the table read maps it. */
    ColumnType columnType(int typeOid, int typeModifier) throws Exception;

    /**
     * Whether the rows a table had when {@code column} was added may hold values for it that no
     * change carries: a column with a default (filled in without a row change), an identity or a
     * generated column; also when the column is gone from the table again.
     */
    boolean filledWithoutChanges(int tableOid, String column) throws Exception;
  }

  /** Adds columns new at the source to a target; returns the target with them. */
  public interface ColumnAdder {
    TargetTable add(TargetTable table, List<Column> columns);
  }

  /** Raised for a change of the source that replication cannot follow here: the run stops on it. */
  static final class UnsupportedChangeException extends RuntimeException {
    UnsupportedChangeException(String message) {
      super(message);
    }
  }

  private final Map<String, TargetTable> tables;
  private final SourceCatalog catalog;
  private ColumnAdder adder;
  private java.util.function.BiConsumer<String, Sequence> truncates;
  private Consumer<PartialKeyMoves.Move> partialMoves;
  private final String sourceName;
  private final Map<Integer, Mapped> relations = new HashMap<>();
  private long commitLsn;
  private long ordinal;
  private long transactions;
  private long skipped;
  private long rowChanges;
  private long fromCommitLsn;
  private boolean skipping;
  private final Map<String, Long> newestCommitMillis = new HashMap<>();
  private long commitMillis;

  /** A relation of the slot matched to its target: per relation column, the schema index or -1. */
  private record Mapped(Relation relation, TargetTable target, int[] index, String unknownColumn,
      RowReader row, RowReader old) {}

  /**
   * @param tables the target of each source table, by {@code schema.table}
   * @param sourceName how dead letters name the slot
   */
  public SlotChangeDecoder(Map<String, TargetTable> tables, SourceCatalog catalog, String sourceName) {
    this.tables = new HashMap<>(tables);
    this.catalog = catalog;
    this.sourceName = sourceName;
  }

  /**
   * Follows columns added at the source: a table's description with columns its target lacks adds
   * them (nullable, typed as the table read types them) instead of rejecting its changes.
   */
  public SlotChangeDecoder addingColumns(ColumnAdder adder) {
    this.adder = adder;
    return this;
  }

  /**
   * Passes on each TRUNCATE of a replicated table (its target's name, and its place in the commit
   * order) instead of stopping at it.
   */
  public SlotChangeDecoder passingTruncates(java.util.function.BiConsumer<String, Sequence> truncates) {
    this.truncates = truncates;
    return this;
  }

  /**
   * Passes on each UPDATE that moves its key and leaves columns out (REPLICA IDENTITY DEFAULT, a
   * TOASTed value untouched) to be completed ({@link PartialMoves}), instead of rejecting it. The
   * DELETE of the old key goes with the other changes.
   */
  public SlotChangeDecoder passingPartialMoves(Consumer<PartialKeyMoves.Move> moves) {
    this.partialMoves = moves;
    return this;
  }

  /**
   * Skips the transactions that commit before {@code lsn}: a stream that peeks again before the
   * slot is confirmed gets them again, and has passed them on already.
   */
  public SlotChangeDecoder committedFrom(long lsn) {
    fromCommitLsn = lsn;
    return this;
  }

  public long transactions() {
    return transactions;
  }

  /** Per target table, the commit time (epoch milliseconds) of its newest change read. */
  public Map<String, Long> newestCommitMillis() {
    return newestCommitMillis;
  }

  /** Inserts, updates and deletes of the replicated tables. */
  public long rowChanges() {
    return rowChanges;
  }

  /** Changes of tables this read does not replicate (a publication shared with other tables). */
  public long skipped() {
    return skipped;
  }

  public void accept(PgOutput.Message m, Consumer<Change> changes, Consumer<DeadLetter> rejected) {
    if (m instanceof PgOutput.Begin b) {
      commitLsn = b.commitLsn();
      commitMillis = b.commitMicros() / 1000 + POSTGRES_EPOCH_MILLIS;
      ordinal = 0;
      skipping = commitLsn < fromCommitLsn;
    } else if (m instanceof PgOutput.Commit) {
      if (!skipping) {
        transactions++;
      }
      skipping = false;
    } else if (skipping && !(m instanceof Relation)) {
      return;
    } else if (m instanceof Relation r) {
      relations.put(r.id(), map(r));
    } else if (m instanceof PgOutput.Insert i) {
      change(i.relationId(), SourceOp.INSERT, null, i.row(), changes, rejected);
    } else if (m instanceof PgOutput.Update u) {
      Tuple row = u.oldRow() != null ? completed(u.row(), u.oldRow()) : u.row();
      change(u.relationId(), SourceOp.UPDATE, u.oldKey() != null ? u.oldKey() : u.oldRow(), row, changes, rejected);
    } else if (m instanceof PgOutput.Delete d) {
      change(d.relationId(), SourceOp.DELETE, null, d.old(), changes, rejected);
    } else if (m instanceof PgOutput.Truncate t) {
      for (int id : t.relationIds()) {
        Mapped mapped = relation(id);
        if (mapped.target() != null && truncates != null) {
          ordinal++;
          truncates.accept(mapped.target().name(), Sequence.of(commitLsn, ordinal));
        } else if (mapped.target() != null) {
          throw new UnsupportedChangeException("TRUNCATE of " + mapped.relation().qualifiedName() + " at LSN "
              + Lsn.text(commitLsn) + " is not followed by a stream yet: nothing of this window is merged."
              + " To go on, drop the slot (SELECT pg_drop_replication_slot(...)) and start the stream again with"
              + " --maxReloadDeletePercent=100: each table is read whole at the new slot's position");
        }
      }
    }
  }

  /**
   * Under REPLICA IDENTITY FULL the old row comes whole: a TOASTed value the update left alone is
   * taken from it, so the change is whole too (a key that moved included).
   */
  private static Tuple completed(Tuple row, Tuple old) {
    PgOutput.ValueState[] states = row.states().clone();
    String[] texts = row.texts().clone();
    for (int i = 0; i < states.length && i < old.size(); i++) {
      if (states[i] == ValueState.UNCHANGED && old.states()[i] != ValueState.UNCHANGED) {
        states[i] = old.states()[i];
        texts[i] = old.texts()[i];
      }
    }
    return new Tuple(states, texts);
  }

  private Mapped relation(int id) {
    Mapped mapped = relations.get(id);
    if (mapped == null) {
      throw new IllegalStateException("a change of relation " + id + " before its description");
    }
    return mapped;
  }

  private Mapped map(Relation r) {
    TargetTable target = tables.get(r.qualifiedName());
    if (target == null) {
      return new Mapped(r, null, null, null, null, null);
    }
    if (adder != null) {
      target = withAddedColumns(r, target);
      tables.put(r.qualifiedName(), target);
    }
    int[] index = new int[r.columns().size()];
    String unknown = null;
    for (int i = 0; i < index.length; i++) {
      Integer at = target.schema().indexOf(r.columns().get(i).name());
      index[i] = at == null ? -1 : at;
      if (at == null && unknown == null) {
        unknown = r.columns().get(i).name();
      }
    }
    return new Mapped(r, target, index, unknown, new RowReader(target.schema()), new RowReader(target.schema()));
  }

  private TargetTable withAddedColumns(Relation r, TargetTable target) {
    List<Column> added = new ArrayList<>();
    List<String> gone = new ArrayList<>();
    for (Column c : target.schema().columns()) {
      if (r.columns().stream().noneMatch(rc -> rc.name().equalsIgnoreCase(c.name()))) {
        gone.add(c.name());
      }
    }
    for (RelationColumn c : r.columns()) {
      if (target.schema().indexOf(c.name()) == null) {
        if (!gone.isEmpty()) {
          // A rename looks the same as a drop and an add, but the rows keep their values under it.
          throw cannotAdd(r, c.name() + " of " + r.qualifiedName() + " is new at the source and "
              + String.join(", ", gone) + " is gone: a renamed column keeps the rows' values");
        }
        boolean filled;
        try {
          added.add(new Column(c.name(), catalog.columnType(c.typeOid(), c.typeModifier()), false));
          filled = catalog.filledWithoutChanges(r.id(), c.name());
        } catch (Exception e) {
          throw new IllegalStateException("cannot read the type and default of the new column " + c.name() + " of "
              + r.qualifiedName() + ": " + e.getMessage(), e);
        }
        if (filled) {
          // Added as NULL, the rows merged before would differ from the source's for good.
          throw cannotAdd(r, c.name() + " of " + r.qualifiedName() + " was added at the source with a default (or as"
              + " an identity or generated column): the rows that existed then hold its values");
        }
      }
    }
    return added.isEmpty() ? target : adder.add(target, added);
  }

  /** Stops the read on a column the existing rows hold values of that no change carries. */
  private static UnsupportedChangeException cannotAdd(Relation r, String column) {
    return new UnsupportedChangeException("column " + column + ", which the WAL does not carry, so the stream cannot"
        + " add it by itself; nothing of this window is merged. Start it again: it adds the column to the target and"
        + " reads " + r.qualifiedName() + " whole at the slot's position");
  }

  private void change(int relationId, SourceOp op, Tuple old, Tuple row, Consumer<Change> changes,
      Consumer<DeadLetter> rejected) {
    Mapped m = relation(relationId);
    if (m.target() == null) {
      skipped++;
      return;
    }
    ordinal++;
    rowChanges++;
    newestCommitMillis.merge(m.target().name(), commitMillis, Math::max);
    Sequence sequence = Sequence.of(commitLsn, ordinal);
    try {
      if (m.unknownColumn() != null) {
        throw new RejectedInputException("column '" + m.unknownColumn() + "' of " + m.relation().qualifiedName()
            + " is not in the target's schema (added after the run started: the next run adds it)");
      }
      String table = m.target().name();
      if (op == SourceOp.DELETE) {
        read(m, m.row(), row, true);
        String key = m.row().key();
        KeyChanges.normalise(table, op, key, null, sequence, m.row().keyRowJson(), null, changes);
        return;
      }
      read(m, m.row(), row, false);
      if (op == SourceOp.INSERT) {
        m.row().requireWhole("an INSERT");
      }
      String key = m.row().key();
      String beforeKey = null;
      String beforeKeyRow = null;
      if (old != null) {
        read(m, m.old(), old, true);
        beforeKey = m.old().key();
        beforeKeyRow = m.old().keyRowJson();
      }
      String unchanged = m.row().unchangedJson();
      if (partialMoves != null && unchanged != null && beforeKey != null && !beforeKey.equals(key)) {
        changes.accept(new Change(table, ChangeOp.DELETE, beforeKey, sequence, beforeKeyRow));
        partialMoves.accept(new PartialKeyMoves.Move(beforeKey,
            new Change(table, ChangeOp.UPSERT, key, sequence, m.row().rowJson(), unchanged)));
        return;
      }
      KeyChanges.normalise(table, op, key, beforeKey, sequence, m.row().rowJson(), unchanged, beforeKeyRow, false, changes);
    } catch (RejectedInputException | IllegalArgumentException e) {
      rejected.accept(new DeadLetter(sourceName, 0, describe(m.relation(), op, sequence, row), e.getMessage(),
          m.row().keyOrNull()));
    }
  }

  /** Reads a tuple into {@code reader}: every column, or the key columns only. */
  private void read(Mapped m, RowReader reader, Tuple t, boolean keyOnly) throws RejectedInputException {
    reader.reset();
    for (int i = 0; i < t.size() && i < m.index().length; i++) {
      int at = m.index()[i];
      if (keyOnly && !reader.isKey(at)) {
        continue;
      }
      switch (t.states()[i]) {
        case NULL -> reader.set(at, ValueKind.TEXT, null);
        case UNCHANGED -> reader.markUnchanged(at);
        case TEXT -> reader.set(at, ValueKind.TEXT, text(m.relation().columns().get(i),
            m.target().schema().column(at).type(), t.texts()[i]));
      }
    }
  }

  /** A value's text in the form the table read gives it the same column type. */
  private String text(RelationColumn c, ColumnType type, String text) throws RejectedInputException {
    switch (c.typeOid()) {
      case BYTEA -> {
        if (!text.startsWith("\\x")) {
          throw new RejectedInputException("column '" + c.name() + "': bytea '" + abbreviate(text) + "' is not in hex");
        }
        try {
          return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(text, 2, text.length()));
        } catch (IllegalArgumentException e) {
          throw new RejectedInputException("column '" + c.name() + "': bytea '" + abbreviate(text) + "' is not hex");
        }
      }
      case JSON_OID, JSONB -> {
        return text;
      }
      default -> {
        if (type == ColumnType.JSON) {
          try {
            return catalog.arrayJson(c.typeOid(), c.typeModifier(), text);
          } catch (Exception e) {
            throw new RejectedInputException("column '" + c.name() + "': cannot read '" + abbreviate(text)
                + "' as JSON (" + e.getMessage() + ")");
          }
        }
        return text;
      }
    }
  }

  /** The change as a dead letter's input: where it was and its columns as text. */
  private static String describe(Relation r, SourceOp op, Sequence sequence, Tuple t) {
    StringBuilder sb = new StringBuilder("{\"table\":");
    Json.appendString(sb, r.qualifiedName());
    sb.append(",\"op\":\"").append(op).append("\",\"commit_lsn\":\"").append(Lsn.text(sequence.part(0)))
        .append("\",\"row\":{");
    for (int i = 0; i < t.size() && i < r.columns().size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      Json.appendString(sb, r.columns().get(i).name());
      sb.append(':');
      switch (t.states()[i]) {
        case NULL -> sb.append("null");
        case UNCHANGED -> sb.append("\"(unchanged)\"");
        case TEXT -> Json.appendString(sb, t.texts()[i]);
      }
    }
    return sb.append("}}").toString();
  }

  private static String abbreviate(String text) {
    return text.length() <= 64 ? text : text.substring(0, 61) + "...";
  }
}
