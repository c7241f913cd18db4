package io.replicator.source;

import io.replicator.change.Json;
import io.replicator.common.RecordCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * An input that did not become a change: where it came from, the input as it stood, why, and how
 * to read it again once the schema or the data is fixed ({@code --changeFormat=dead-letters}).
 *
 * @param source the file (or topic, subscription) it was read from
 * @param line the 1-based line (or record) number in the source, 0 when there is none
 * @param input the original line or record
 * @param reason what is wrong with it
 * @param key the canonical key (a JSON array) of a rejected snapshot row whose key columns could
 *     still be read, so a reload keeps that row; null when they could not be, or for other input
 * @param format the format {@code input} is in when it can be read again as it stands ({@link
 *     InputFormat#NATIVE}, {@link InputFormat#DEBEZIUM}, {@link InputFormat#SNAPSHOT_JSONL}); null
 *     for what cannot (a CSV record without its header, a row the warehouse refused)
 * @param sequence a snapshot row's sequence, else null
 */
public record DeadLetter(String source, long line, String input, String reason, String key, InputFormat format,
    Long sequence) {
  public DeadLetter(String source, long line, String input, String reason) {
    this(source, line, input, reason, null, null, null);
  }

  /** A dead letter that cannot be read again as it stands (no format), with the key of its row when known. */
  public DeadLetter(String source, long line, String input, String reason, String key) {
    this(source, line, input, reason, key, null, null);
  }

  /**
   * One JSON object: {@code {"source", "line", "input", "reason"}}, and {@code "key"}, {@code
   * "format"} and {@code "sequence"} when known.
   */
  public String toJson() {
    StringBuilder sb = new StringBuilder(input.length() + reason.length() + source.length() + 64);
    sb.append("{\"source\":");
    Json.appendString(sb, source);
    sb.append(",\"line\":").append(line).append(",\"input\":");
    Json.appendString(sb, input);
    sb.append(",\"reason\":");
    Json.appendString(sb, reason);
    if (key != null) {
      sb.append(",\"key\":").append(key);
    }
    if (format != null) {
      sb.append(",\"format\":\"").append(format.userName()).append('"');
    }
    if (sequence != null) {
      sb.append(",\"sequence\":").append(sequence);
    }
    return sb.append('}').toString();
  }

  /**
   * The dead letter a line of a dead-letter file holds.
   *
   * @throws RejectedInputException when the line is not one
   */
  public static DeadLetter fromJson(String line) throws RejectedInputException {
    com.fasterxml.jackson.databind.JsonNode d;
    try {
      d = READER.readTree(line);
    } catch (java.io.IOException e) {
      throw new RejectedInputException("not a dead letter: malformed JSON");
    }
    if (d == null || !d.isObject() || !d.path("source").isTextual() || !d.path("input").isTextual()
        || !d.path("reason").isTextual() || !d.path("line").canConvertToLong()) {
      throw new RejectedInputException("not a dead letter: it needs source, line, input and reason");
    }
    InputFormat format = null;
    if (d.hasNonNull("format")) {
      String name = d.get("format").asText();
      format = InputFormat.ofUserName(name);
      if (format == null) {
        throw new RejectedInputException("not a dead letter: unknown format '" + name + "'");
      }
    }
    return new DeadLetter(d.get("source").asText(), d.get("line").asLong(), d.get("input").asText(),
        d.get("reason").asText(), d.hasNonNull("key") ? d.get("key").toString() : null, format,
        d.hasNonNull("sequence") ? d.get("sequence").asLong() : null);
  }

  private static final com.fasterxml.jackson.databind.ObjectReader READER =
      new com.fasterxml.jackson.databind.ObjectMapper().reader();

  private static final NullableCoder<Long> SEQUENCE = NullableCoder.of(VarLongCoder.of());

  private static final RecordCoder<DeadLetter> CODER = RecordCoder.of(DeadLetter.class,
      (d, out) -> out.string(d.source()).varLong(d.line()).string(d.input()).string(d.reason())
          .nullableString(d.key()).nullableString(d.format() == null ? null : d.format().name())
          .with(SEQUENCE, d.sequence()),
      in -> {
        String source = in.string();
        long line = in.varLong();
        String input = in.string();
        String reason = in.string();
        String key = in.nullableString();
        String format = in.nullableString();
        return new DeadLetter(source, line, input, reason, key, format == null ? null : InputFormat.valueOf(format),
            in.with(SEQUENCE));
      });

  /** Coder: strings (key, format and sequence nullable) and a var-long. */
  public static RecordCoder<DeadLetter> coder() {
    return CODER;
  }
}
