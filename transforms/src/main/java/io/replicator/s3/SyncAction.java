package io.replicator.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;

/**
 * What the plan decided for one key: copy it, leave it, delete it from the target, or report it
 * (archived, excluded, a folder marker). Carries what was listed on each side (null where absent).
 */
public record SyncAction(String key, Kind kind, String reason, ObjectInfo source, ObjectInfo target) {
  /** CHECK: same size at both sides; only checksums, read per object, can tell ({@code --compare=checksum}). */
  public enum Kind { COPY, SKIP, DELETE, ARCHIVED, EXCLUDED, CHECK }

  public static final class Coder extends CustomCoder<SyncAction> {
    private static final Coder INSTANCE = new Coder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final NullableCoder<ObjectInfo> INFO = NullableCoder.of(ObjectInfo.Coder.of());

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(SyncAction a, OutputStream out) throws IOException {
      STRING.encode(a.key(), out);
      out.write(a.kind().ordinal());
      STRING.encode(a.reason(), out);
      INFO.encode(a.source(), out);
      INFO.encode(a.target(), out);
    }

    @Override
    public SyncAction decode(InputStream in) throws IOException {
      return new SyncAction(STRING.decode(in), Kind.values()[in.read()], STRING.decode(in), INFO.decode(in),
          INFO.decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    private Object readResolve() {
      return INSTANCE;
    }
  }
}
