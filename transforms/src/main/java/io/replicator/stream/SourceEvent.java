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
 * @param splitKeyChange whether the connector marked the event as one half of a key change it wrote
 *     as a delete and a create (Debezium's {@value #NEW_KEY_HEADER} and {@value #OLD_KEY_HEADER}
 *     headers), which a stream pairs whatever windows the halves are read in
 */
public record SourceEvent(String source, long position, String payload, String ackId, String malformed,
    boolean splitKeyChange) {
  /** The header Debezium's relational connectors put on the delete half of a key change. */
  public static final String NEW_KEY_HEADER = "__debezium.newkey";
  /** The header they put on its create half. */
  public static final String OLD_KEY_HEADER = "__debezium.oldkey";

  public SourceEvent(String source, long position, String payload) {
    this(source, position, payload, null, null, false);
  }

  public SourceEvent(String source, long position, String payload, String ackId) {
    this(source, position, payload, ackId, null, false);
  }

  public SourceEvent(String source, long position, String payload, String ackId, String malformed) {
    this(source, position, payload, ackId, malformed, false);
  }

  /** The same event, marked as one half of a split key change. */
  public SourceEvent asSplitKeyChange() {
    return new SourceEvent(source, position, payload, ackId, malformed, true);
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
          .nullableString(e.ackId()).nullableString(e.malformed()).bool(e.splitKeyChange()),
      in -> new SourceEvent(in.string(), in.varLong(), in.nullableString(), in.nullableString(),
          in.nullableString(), in.bool()));

  /** Coder: strings (payload, ack id and the encoding problem nullable), a var-long and a flag. */
  public static RecordCoder<SourceEvent> coder() {
    return CODER;
  }
}
