package io.replicator.stream;

import io.replicator.source.Utf8Lines;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

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

  /** Coder: strings (payload and ack id nullable) and a var-long. */
  public static final class Coder extends CustomCoder<SourceEvent> {
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final NullableCoder<String> PAYLOAD = NullableCoder.of(StringUtf8Coder.of());
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(SourceEvent e, OutputStream out) throws IOException {
      STRING.encode(e.source(), out);
      LONG.encode(e.position(), out);
      PAYLOAD.encode(e.payload(), out);
      PAYLOAD.encode(e.ackId(), out);
      PAYLOAD.encode(e.malformed(), out);
    }

    @Override
    public SourceEvent decode(InputStream in) throws IOException {
      return new SourceEvent(STRING.decode(in), LONG.decode(in), PAYLOAD.decode(in), PAYLOAD.decode(in),
          PAYLOAD.decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    private Object readResolve() {
      return INSTANCE;
    }
  }
}
