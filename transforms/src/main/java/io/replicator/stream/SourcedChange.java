package io.replicator.stream;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.common.RecordCoder;
import org.apache.beam.sdk.values.KV;

/**
 * A decoded change with where its event sits, so that the event's position can be held back from
 * the source's commits while the change waits (for the other half of a split key change).
 *
 * @param change the change
 * @param source the stream its event came from
 * @param position its event's place there
 * @param ackId what acknowledges the event (Pub/Sub), or null
 * @param splitHalf whether the event is marked as one half of a key change the connector split
 */
public record SourcedChange(Change change, String source, long position, String ackId, boolean splitHalf) {
  private static final ChangeCoder CHANGES = ChangeCoder.of();
  private static final RecordCoder<SourcedChange> CODER = RecordCoder.of(SourcedChange.class,
      (c, out) -> out.with(CHANGES, c.change()).string(c.source()).varLong(c.position()).nullableString(c.ackId())
          .bool(c.splitHalf()),
      in -> new SourcedChange(in.with(CHANGES), in.string(), in.varLong(), in.nullableString(), in.bool()));

  public static RecordCoder<SourcedChange> coder() {
    return CODER;
  }

  /** The progress the event makes once its change is merged: its ack, or its position. */
  KV<String, Long> progress() {
    return Progress.of(source, position, ackId);
  }

  /** Whether two changes came from one event (a duplicate delivery of it, or one event's changes). */
  boolean sameEvent(SourcedChange other) {
    return position == other.position && source.equals(other.source);
  }
}
