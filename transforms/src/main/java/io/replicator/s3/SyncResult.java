package io.replicator.s3;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

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

  public static final class Coder extends CustomCoder<SyncResult> {
    private static final Coder INSTANCE = new Coder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(SyncResult r, OutputStream out) throws IOException {
      STRING.encode(r.key(), out);
      STRING.encode(r.action(), out);
      STRING.encode(r.reason(), out);
      VarLongCoder.of().encode(r.size(), out);
      STRING.encode(r.sourceEtag(), out);
      STRING.encode(r.targetEtag(), out);
      VarIntCoder.of().encode(r.attempts(), out);
    }

    @Override
    public SyncResult decode(InputStream in) throws IOException {
      return new SyncResult(STRING.decode(in), STRING.decode(in), STRING.decode(in), VarLongCoder.of().decode(in),
          STRING.decode(in), STRING.decode(in), VarIntCoder.of().decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    private Object readResolve() {
      return INSTANCE;
    }
  }
}
