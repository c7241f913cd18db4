package io.replicator.stream;

import io.replicator.warehouse.spi.MergeResult;
import org.apache.beam.sdk.values.KV;

/**
 * What a window of a stream got done, as keyed numbers that combine by taking the highest: the
 * position each source was read to, the events to acknowledge, the newest source time each table's changes carry, each
 * merged batch's rows, each dead-letter file written. {@link CommitProgress} gathers a window's
 * progress once all of it is merged.
 */
public final class Progress {
  static final String POSITION = "position";
  static final String SOURCE_TIME = "source_time";
  static final String MERGED = "merged";
  static final String DEAD_LETTERS = "dead_letters";
  static final String ACK = "ack";
  static final String HOLD = "hold";
  static final String RELEASE = "release";

  private Progress() {}

  /** {@code source} was read at {@code position}. */
  public static KV<String, Long> position(String source, long position) {
    return KV.of(POSITION + "\t" + source, position);
  }

  /** What an event makes once merged: its ack where it has an ack id (Pub/Sub), else its position. */
  static KV<String, Long> of(String source, long position, String ackId) {
    return ackId != null ? ack(source, ackId) : position(source, position);
  }

  /** An event of {@code source} to acknowledge once merged. */
  public static KV<String, Long> ack(String source, String ackId) {
    return KV.of(ACK + "\t" + source + "\t" + ackId, 0L);
  }

  /**
   * The event at {@code position} of {@code source} is held back from this window (a half of a key
   * change waiting for the other): no position of that source at or past it may be committed
   * until it is {@linkplain #release released}.
   */
  public static KV<String, Long> hold(String source, long position) {
    return KV.of(HOLD + "\t" + source + "\t" + position, position);
  }

  /** The held event at {@code position} of {@code source} is merged in this window (or given up). */
  public static KV<String, Long> release(String source, long position) {
    return KV.of(RELEASE + "\t" + source + "\t" + position, position);
  }

  /** The ack id of an {@link #ack} key. */
  static String ackId(String key) {
    return key.substring(key.indexOf('\t', key.indexOf('\t') + 1) + 1);
  }

  /** {@code table} has a change made at the source at {@code millis}. */
  public static KV<String, Long> sourceTime(String table, long millis) {
    return KV.of(SOURCE_TIME + "\t" + table, millis);
  }

  /** A batch was merged (or found applied already). */
  public static KV<String, Long> merged(MergeResult r) {
    return KV.of(MERGED + "\t" + r.table() + "\t" + r.batchId(), r.alreadyApplied() ? 0 : r.rows());
  }

  /** A dead-letter file was written. */
  public static KV<String, Long> deadLetters(String file) {
    return KV.of(DEAD_LETTERS + "\t" + file, 1L);
  }

  static String kind(String key) {
    return key.substring(0, key.indexOf('\t'));
  }

  /** The source, table or file a key is about (for merged batches: the table). */
  static String name(String key) {
    int from = key.indexOf('\t') + 1;
    int to = key.indexOf('\t', from);
    return to < 0 ? key.substring(from) : key.substring(from, to);
  }
}
