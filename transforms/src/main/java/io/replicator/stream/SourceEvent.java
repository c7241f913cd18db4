package io.replicator.stream;

import io.replicator.common.RecordCoder;
import io.replicator.source.Utf8Lines;
import java.nio.charset.StandardCharsets;

/**
 * One event read from a stream, before decoding: where it sits and what it says.
 *
 * @param source the stream it came from: {@code kafka:<topic>/<partition>}, or a file's path
 * @param position its place in the source: a Kafka offset, a line number; positions of one source
 *     only grow, which is what lets progress be committed as one number per source
 * @param payload the event's text; null for a Kafka tombstone
 * @param ackId what acknowledges the event once merged (a Pub/Sub message's ack id); null for
 *     sources whose progress is their position
 * @param malformed why the event's bytes are not valid UTF-8 (the payload then shows U+FFFD where
 *     they went wrong), or null: such an event is rejected, never decoded as repaired
 */
public record SourceEvent(String source, long position, String payload, String ackId, String malformed) {
  public SourceEvent(String source, long position, String payload) {
    this(source, position, payload, null, null);
  }

  public SourceEvent(String source, long position, String payload, String ackId) {
    this(source, position, payload, ackId, null);
  }

  /** An event that arrived as bytes, decoded as strict UTF-8 (empty bytes: a tombstone). */
  public static SourceEvent ofBytes(String source, long position, byte[] payload, String ackId) {
    if (payload == null || payload.length == 0) {
      return new SourceEvent(source, position, null, ackId, null);
    }
    return new SourceEvent(source, position, new String(payload, StandardCharsets.UTF_8), ackId,
        Utf8Lines.malformedIn(payload));
  }

  private static final RecordCoder<SourceEvent> CODER = RecordCoder.of(SourceEvent.class,
      (e, out) -> out.string(e.source()).varLong(e.position()).nullableString(e.payload())
          .nullableString(e.ackId()).nullableString(e.malformed()),
      in -> new SourceEvent(in.string(), in.varLong(), in.nullableString(), in.nullableString(),
          in.nullableString()));

  /** Coder: strings (payload, ack id and the encoding problem nullable) and a var-long. */
  public static RecordCoder<SourceEvent> coder() {
    return CODER;
  }
}
