package io.replicator.source;

import io.replicator.change.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * An input that did not become a change: where it came from, the input as it stood, and why.
 *
 * @param source the file (or topic, subscription) it was read from
 * @param line the 1-based line (or record) number in the source, 0 when there is none
 * @param input the original line or record
 * @param reason what is wrong with it
 * @param key the canonical key (a JSON array) of a rejected snapshot row whose key columns could
 *     still be read, so a reload keeps that row; null when they could not be, or for other input
 */
public record DeadLetter(String source, long line, String input, String reason, String key) {
  public DeadLetter(String source, long line, String input, String reason) {
    this(source, line, input, reason, null);
  }

  /** One JSON object: {@code {"source", "line", "input", "reason"}}, and {@code "key"} when known. */
  public String toJson() {
    StringBuilder sb = new StringBuilder(input.length() + reason.length() + source.length() + 48);
    sb.append("{\"source\":");
    Json.appendString(sb, source);
    sb.append(",\"line\":").append(line).append(",\"input\":");
    Json.appendString(sb, input);
    sb.append(",\"reason\":");
    Json.appendString(sb, reason);
    if (key != null) {
      sb.append(",\"key\":").append(key);
    }
    return sb.append('}').toString();
  }

  /** Coder: strings (the key nullable) and a var-long. */
  public static final class Coder extends CustomCoder<DeadLetter> {
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final NullableCoder<String> KEY = NullableCoder.of(StringUtf8Coder.of());
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final Coder INSTANCE = new Coder();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(DeadLetter value, OutputStream out) throws IOException {
      STRING.encode(value.source(), out);
      LONG.encode(value.line(), out);
      STRING.encode(value.input(), out);
      STRING.encode(value.reason(), out);
      KEY.encode(value.key(), out);
    }

    @Override
    public DeadLetter decode(InputStream in) throws IOException {
      return new DeadLetter(STRING.decode(in), LONG.decode(in), STRING.decode(in), STRING.decode(in), KEY.decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    /** One instance per JVM, so a deserialised coder equals the original. */
    private Object readResolve() {
      return INSTANCE;
    }
  }
}
