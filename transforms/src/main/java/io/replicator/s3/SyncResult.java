package io.replicator.s3;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.replicator.common.RecordCoder;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * What happened to one key, a line of the report: {@code copied}, {@code skipped},
 * {@code deleted}, {@code failed}, {@code archived}, {@code excluded}, or with {@code --dryRun}
 * {@code would copy} / {@code would delete}; why; its size; the ETags on both sides; attempts.
 */
public record SyncResult(String key, String action, String reason, long size, String sourceEtag, String targetEtag,
    int attempts) {
  private static final JsonFactory JSON = new JsonFactory();

  public String toJson() {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("key", key);
      g.writeStringField("action", action);
      g.writeStringField("reason", reason);
      g.writeNumberField("size", size);
      g.writeStringField("source_etag", sourceEtag.isEmpty() ? null : sourceEtag);
      g.writeStringField("target_etag", targetEtag.isEmpty() ? null : targetEtag);
      g.writeNumberField("attempts", attempts);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  private static final RecordCoder<SyncResult> CODER = RecordCoder.of(SyncResult.class,
      (r, out) -> out.string(r.key()).string(r.action()).string(r.reason()).varLong(r.size())
          .string(r.sourceEtag()).string(r.targetEtag()).varInt(r.attempts()),
      in -> new SyncResult(in.string(), in.string(), in.string(), in.varLong(), in.string(), in.string(),
          in.varInt()));

  /** Coder: strings and var-ints. */
  public static RecordCoder<SyncResult> coder() {
    return CODER;
  }
}
