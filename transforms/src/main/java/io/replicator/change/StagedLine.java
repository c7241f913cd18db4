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
   * Writes staged lines as UTF-8, the same bytes as {@link #append}: the row's bytes, then its
   * metadata assembled in one reused buffer, so a line costs two writes and no String. One per
   * batch file; not thread-safe.
   */
  public static final class Encoder {
    /** Null where the lines leave the batch id to the loader. */
    private final byte[] batchId;
    private byte[] buffer = new byte[256];
    private int length;

    public Encoder(String batchId) {
      this.batchId = batchId.getBytes(StandardCharsets.US_ASCII);
    }

    private Encoder() {
      this.batchId = null;
    }

    /**
     * An encoder of lines without {@code _batch_id}, for a file written before its batch id (a
     * digest of what it holds) is known: the warehouse that loads it fills the id in from the batch.
     */
    public static Encoder withoutBatchId() {
      return new Encoder();
    }

    /** Writes the line of the key's staged change number {@code step} and its newline; returns its length in bytes. */
    public long write(OutputStream out, Change c, int step) throws IOException {
      byte[] row = c.rowUtf8();
      out.write('{');
      out.write(row);
      length = 0;
      put(",\"_op\":\"").put(c.op().name()).put("\"");
      for (int i = 0; i < c.sequence().width(); i++) {
        put(",\"").put(PART_NAMES[i]).put("\":").put(c.sequence().part(i));
      }
      if (c.isPartial()) {
        put(",\"_unchanged\":").put(c.unchanged().getBytes(StandardCharsets.UTF_8));
      }
      if (step > 0) {
        put(",\"_step\":").put(step);
      }
      if (batchId != null) {
        put(",\"_batch_id\":\"").put(batchId).put("\"");
      }
      put("}\n");
      out.write(buffer, 0, length);
      return 1 + row.length + length;
    }

    private Encoder put(String ascii) {
      room(ascii.length());
      for (int i = 0, n = ascii.length(); i < n; i++) {
        buffer[length++] = (byte) ascii.charAt(i);
      }
      return this;
    }

    private Encoder put(byte[] bytes) {
      room(bytes.length);
      System.arraycopy(bytes, 0, buffer, length, bytes.length);
      length += bytes.length;
      return this;
    }

    private Encoder put(long value) {
      if (value == Long.MIN_VALUE) {
        return put(Long.toString(value));
      }
      room(20);
      if (value < 0) {
        buffer[length++] = '-';
        value = -value;
      }
      // Counted in integers: log10 of a double rounds 999...9 of 16 or more digits up to the next power.
      int end = length + digits(value);
      for (int at = end - 1; at >= length; at--) {
        buffer[at] = (byte) ('0' + value % 10);
        value /= 10;
      }
      length = end;
      return this;
    }

    private void room(int more) {
      if (length + more > buffer.length) {
        buffer = java.util.Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
      }
    }
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
      size += 4 + PART_NAMES[i].length() + digits(c.sequence().part(i));
    }
    if (c.isPartial()) {
      size += 14 + utf8Length(c.unchanged()); // ,"_unchanged":[...]
    }
    if (step > 0) {
      size += 9 + Integer.toString(step).length(); // ,"_step":n
    }
    return size;
  }

  /** The length of {@code value} in decimal, its minus sign included, without making its text. */
  static int digits(long value) {
    if (value == Long.MIN_VALUE) {
      return 20;
    }
    int n = value < 0 ? 2 : 1;
    for (long v = Math.abs(value); v >= 10; v /= 10) {
      n++;
    }
    return n;
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
