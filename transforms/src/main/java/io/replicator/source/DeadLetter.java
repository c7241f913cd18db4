package io.replicator.source;

import io.replicator.change.Json;
import io.replicator.common.RecordCoder;

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

  private static final RecordCoder<DeadLetter> CODER = RecordCoder.of(DeadLetter.class,
      (d, out) -> out.string(d.source()).varLong(d.line()).string(d.input()).string(d.reason())
          .nullableString(d.key()),
      in -> new DeadLetter(in.string(), in.varLong(), in.string(), in.string(), in.nullableString()));

  /** Coder: strings (the key nullable) and a var-long. */
  public static RecordCoder<DeadLetter> coder() {
    return CODER;
  }
}
