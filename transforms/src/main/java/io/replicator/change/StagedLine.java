package io.replicator.change;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The staged JSONL form of a change: the row's columns, {@code _op}, the sequence parts and
 * {@code _batch_id}, e.g. {@code {"id":1,"name":"a","_op":"UPSERT","_sequence_num":7,"_batch_id":"…"}};
 * a partial row adds {@code "_unchanged":["doc"]}, the columns it leaves as they are. Where a key
 * has several staged changes (a full one and partial ones after it), each but the first adds
 * {@code "_step":n}, its place among them, oldest first.
 */
public final class StagedLine {
  /** Batch ids are this many hex digits, so a line's length is known before its batch id is. */
  public static final int BATCH_ID_LENGTH = 16;

  private static final String[] PART_NAMES = {
    "_sequence_num", "_sequence_num_2", "_sequence_num_3", "_sequence_num_4"
  };

  private StagedLine() {}

  /** The metadata column naming the columns a partial row leaves unchanged. */
  public static final String UNCHANGED = "_unchanged";
  /** The metadata column ordering a key's staged changes; absent means 0. */
  public static final String STEP = "_step";

  /** The metadata column holding part {@code i} (0-based) of the sequence. */
  public static String sequenceColumn(int i) {
    return PART_NAMES[i];
  }

  /** Appends the line of a key's only (or first) staged change, without its newline. */
  public static void append(StringBuilder sb, Change c, String batchId) {
    append(sb, c, 0, batchId);
  }

  /** Appends the line of the key's staged change number {@code step} (from 0), without its newline. */
  public static void append(StringBuilder sb, Change c, int step, String batchId) {
    sb.append('{').append(c.rowJson()).append(",\"_op\":\"").append(c.op().name()).append('"');
    for (int i = 0; i < c.sequence().width(); i++) {
      sb.append(",\"").append(PART_NAMES[i]).append("\":").append(c.sequence().part(i));
    }
    if (c.isPartial()) {
      sb.append(",\"_unchanged\":").append(c.unchanged());
    }
    if (step > 0) {
      sb.append(",\"_step\":").append(step);
    }
    sb.append(",\"_batch_id\":\"").append(batchId).append("\"}");
  }

  /**
   * Writes the line of the key's staged change number {@code step} and its newline as UTF-8, and
   * returns how many bytes that was: the same bytes as {@link #append}, without a String between.
   */
  public static long write(OutputStream out, Change c, int step, byte[] batchId) throws IOException {
    byte[] row = c.rowJson().getBytes(StandardCharsets.UTF_8);
    out.write('{');
    out.write(row);
    long n = 1 + row.length + ascii(out, ",\"_op\":\"") + ascii(out, c.op().name()) + ascii(out, "\"");
    for (int i = 0; i < c.sequence().width(); i++) {
      n += ascii(out, ",\"") + ascii(out, PART_NAMES[i]) + ascii(out, "\":") + ascii(out, Long.toString(c.sequence().part(i)));
    }
    if (c.isPartial()) {
      byte[] unchanged = c.unchanged().getBytes(StandardCharsets.UTF_8);
      n += ascii(out, ",\"_unchanged\":");
      out.write(unchanged);
      n += unchanged.length;
    }
    if (step > 0) {
      n += ascii(out, ",\"_step\":") + ascii(out, Integer.toString(step));
    }
    n += ascii(out, ",\"_batch_id\":\"");
    out.write(batchId);
    out.write('"');
    out.write('}');
    out.write('\n');
    return n + batchId.length + 3;
  }

  private static int ascii(OutputStream out, String s) throws IOException {
    for (int i = 0, len = s.length(); i < len; i++) {
      out.write(s.charAt(i));
    }
    return s.length();
  }

  /** The UTF-8 size of the line plus its newline, computed without encoding it. */
  public static long utf8Size(Change c) {
    return utf8Size(c, 0);
  }

  /** The UTF-8 size of the line of step {@code step} plus its newline. */
  public static long utf8Size(Change c, int step) {
    // {row,"_op":"OP" ... ,"_batch_id":"ID"}\n
    long size = 1 + c.rowUtf8Length() + 8 + c.op().name().length() + 1 + 14 + BATCH_ID_LENGTH + 2 + 1;
    for (int i = 0; i < c.sequence().width(); i++) {
      size += 4 + PART_NAMES[i].length() + Long.toString(c.sequence().part(i)).length();
    }
    if (c.isPartial()) {
      size += 14 + utf8Length(c.unchanged()); // ,"_unchanged":[...]
    }
    if (step > 0) {
      size += 9 + Integer.toString(step).length(); // ,"_step":n
    }
    return size;
  }

  public static long utf8Length(String s) {
    long n = 0;
    for (int i = 0, len = s.length(); i < len; i++) {
      char ch = s.charAt(i);
      if (ch < 0x80) {
        n++;
      } else if (ch < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(ch) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
