package io.replicator.change;


/**
 * The staged JSONL form of a change: the row's columns, {@code _op}, the sequence parts and
 * {@code _batch_id}, e.g. {@code {"id":1,"name":"a","_op":"UPSERT","_sequence_num":7,"_batch_id":"…"}}.
 */
public final class StagedLine {
  /** Batch ids are this many hex digits, so a line's length is known before its batch id is. */
  public static final int BATCH_ID_LENGTH = 16;

  private static final String[] PART_NAMES = {
    "_sequence_num", "_sequence_num_2", "_sequence_num_3", "_sequence_num_4"
  };

  private StagedLine() {}

  /** The metadata column holding part {@code i} (0-based) of the sequence. */
  public static String sequenceColumn(int i) {
    return PART_NAMES[i];
  }

  /** Appends the line, without its newline. */
  public static void append(StringBuilder sb, Change c, String batchId) {
    sb.append('{').append(c.rowJson()).append(",\"_op\":\"").append(c.op().name()).append('"');
    for (int i = 0; i < c.sequence().width(); i++) {
      sb.append(",\"").append(PART_NAMES[i]).append("\":").append(c.sequence().part(i));
    }
    sb.append(",\"_batch_id\":\"").append(batchId).append("\"}");
  }

  /** The UTF-8 size of the line plus its newline, computed without encoding it. */
  public static long utf8Size(Change c) {
    // {row,"_op":"OP" ... ,"_batch_id":"ID"}\n
    long size = 1 + utf8Length(c.rowJson()) + 8 + c.op().name().length() + 1 + 14 + BATCH_ID_LENGTH + 2 + 1;
    for (int i = 0; i < c.sequence().width(); i++) {
      size += 4 + PART_NAMES[i].length() + Long.toString(c.sequence().part(i)).length();
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
