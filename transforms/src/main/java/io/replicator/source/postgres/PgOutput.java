package io.replicator.source.postgres;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages of PostgreSQL's {@code pgoutput} logical decoding plugin, protocol version 1, as
 * {@code pg_logical_slot_peek_binary_changes} returns them: one message per row, big-endian, text
 * values. Only what replication needs is kept; origin, type and logical messages are read as
 * {@link Other}.
 */
public final class PgOutput {
  private PgOutput() {}

  /** One decoded message. */
  public sealed interface Message permits Begin, Commit, Relation, Insert, Update, Delete, Truncate, Other {}

  /** A transaction starts; {@code commitLsn} is where it will commit, the order it is applied in. */
  public record Begin(long commitLsn, long commitMicros, int xid) implements Message {}

  /** A transaction ends; {@code endLsn} is the position a slot may be confirmed to after it. */
  public record Commit(long commitLsn, long endLsn, long commitMicros) implements Message {}

  /** A column of a relation: its name, its type, whether it is part of the replica identity. */
  public record RelationColumn(String name, int typeOid, int typeModifier, boolean key) {}

  /**
   * The shape of a table, sent before its first change in a decoding session and again after it
   * changes. {@code replicaIdentity} is {@code d} (primary key), {@code f} (full), {@code i}
   * (an index) or {@code n} (nothing).
   */
  public record Relation(int id, String namespace, String name, char replicaIdentity, List<RelationColumn> columns)
      implements Message {
    /** {@code namespace.name}, as the table is named to users. */
    public String qualifiedName() {
      return namespace + "." + name;
    }
  }

  /** What a tuple holds for one column. */
  public enum ValueState {
    NULL,
    /** A TOASTed value the change did not touch, so the plugin does not send it. */
    UNCHANGED,
    TEXT
  }

  /** A row image: per column, its state and (for {@link ValueState#TEXT}) its text. */
  public record Tuple(ValueState[] states, String[] texts) {
    public int size() {
      return states.length;
    }
  }

  public record Insert(int relationId, Tuple row) implements Message {}

  /**
   * An update: {@code oldKey} is the old key's columns when the key changed (replica identity
   * default or index), {@code oldRow} the whole old row under replica identity full; else both null.
   */
  public record Update(int relationId, Tuple oldKey, Tuple oldRow, Tuple row) implements Message {}

  /** A delete: the old key's columns ({@code full} false), or the whole old row under replica identity full. */
  public record Delete(int relationId, Tuple old, boolean full) implements Message {}

  public record Truncate(List<Integer> relationIds, boolean cascade, boolean restartIdentity) implements Message {}

  /** A message replication does not act on (origin, type, logical message). */
  public record Other(char kind) implements Message {}

  /**
   * Decodes one message.
   *
   * @throws IllegalArgumentException for bytes that are not a protocol-1 message, naming the problem
   */
  public static Message decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new IllegalArgumentException("an empty pgoutput message");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    char kind = (char) b.get();
    try {
      return switch (kind) {
        case 'B' -> new Begin(b.getLong(), b.getLong(), b.getInt());
        case 'C' -> {
          b.get(); // flags, unused
          yield new Commit(b.getLong(), b.getLong(), b.getLong());
        }
        case 'R' -> relation(b);
        case 'I' -> {
          int rel = b.getInt();
          expect(b, 'N');
          yield new Insert(rel, tuple(b));
        }
        case 'U' -> {
          int rel = b.getInt();
          Tuple oldKey = null;
          Tuple oldRow = null;
          char next = (char) b.get();
          if (next == 'K') {
            oldKey = tuple(b);
            next = (char) b.get();
          } else if (next == 'O') {
            oldRow = tuple(b);
            next = (char) b.get();
          }
          if (next != 'N') {
            throw new IllegalArgumentException("an update without its new row ('" + next + "')");
          }
          yield new Update(rel, oldKey, oldRow, tuple(b));
        }
        case 'D' -> {
          int rel = b.getInt();
          char which = (char) b.get();
          if (which != 'K' && which != 'O') {
            throw new IllegalArgumentException("a delete without its old key ('" + which + "')");
          }
          yield new Delete(rel, tuple(b), which == 'O');
        }
        case 'T' -> {
          int n = b.getInt();
          int options = b.get();
          List<Integer> ids = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            ids.add(b.getInt());
          }
          yield new Truncate(ids, (options & 1) != 0, (options & 2) != 0);
        }
        case 'O', 'Y', 'M' -> new Other(kind);
        default -> throw new IllegalArgumentException("unknown pgoutput message '" + kind + "'");
      };
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("a truncated pgoutput '" + kind + "' message of " + bytes.length + " bytes");
    }
  }

  private static Relation relation(ByteBuffer b) {
    int id = b.getInt();
    String namespace = string(b);
    String name = string(b);
    char identity = (char) b.get();
    int n = b.getShort();
    List<RelationColumn> columns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      boolean key = (b.get() & 1) != 0;
      String column = string(b);
      columns.add(new RelationColumn(column, b.getInt(), b.getInt(), key));
    }
    return new Relation(id, namespace, name, identity, List.copyOf(columns));
  }

  private static Tuple tuple(ByteBuffer b) {
    int n = b.getShort();
    ValueState[] states = new ValueState[n];
    String[] texts = new String[n];
    for (int i = 0; i < n; i++) {
      char kind = (char) b.get();
      switch (kind) {
        case 'n' -> states[i] = ValueState.NULL;
        case 'u' -> states[i] = ValueState.UNCHANGED;
        case 't' -> {
          int len = b.getInt();
          states[i] = ValueState.TEXT;
          texts[i] = new String(b.array(), b.position(), len, StandardCharsets.UTF_8);
          b.position(b.position() + len);
        }
        default -> throw new IllegalArgumentException("unknown tuple value kind '" + kind + "' (binary values"
            + " are not requested)");
      }
    }
    return new Tuple(states, texts);
  }

  private static void expect(ByteBuffer b, char kind) {
    char got = (char) b.get();
    if (got != kind) {
      throw new IllegalArgumentException("expected '" + kind + "', found '" + got + "'");
    }
  }

  private static String string(ByteBuffer b) {
    int start = b.position();
    int end = start;
    while (b.get(end) != 0) {
      end++;
    }
    b.position(end + 1);
    return new String(b.array(), start, end - start, StandardCharsets.UTF_8);
  }
}
