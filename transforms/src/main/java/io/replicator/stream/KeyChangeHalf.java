package io.replicator.stream;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.common.RecordCoder;
import org.apache.beam.sdk.values.KV;

/**
 * One half of a key change the connector wrote as a delete and a create, decoded, with where its
 * event sits, so that the event's position can be held back until both halves are merged.
 *
 * @param change the delete of the old key or the create of the new one
 * @param source the stream the event came from
 * @param position its place there
 * @param ackId what acknowledges it (Pub/Sub), or null
 */
public record KeyChangeHalf(Change change, String source, long position, String ackId) {
  private static final ChangeCoder CHANGES = ChangeCoder.of();
  private static final RecordCoder<KeyChangeHalf> CODER = RecordCoder.of(KeyChangeHalf.class,
      (h, out) -> out.with(CHANGES, h.change()).string(h.source()).varLong(h.position()).nullableString(h.ackId()),
      in -> new KeyChangeHalf(in.with(CHANGES), in.string(), in.varLong(), in.nullableString()));

  public static RecordCoder<KeyChangeHalf> coder() {
    return CODER;
  }

  /** The progress the event makes once merged: its ack, or its position. */
  KV<String, Long> progress() {
    return ackId != null ? Progress.ack(source, ackId) : Progress.position(source, position);
  }
}
