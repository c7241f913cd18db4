package io.replicator.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * One listed object: its key relative to the listed prefix, size, ETag (without quotes), last
 * modified time (epoch milliseconds) and storage class, all from ListObjectsV2.
 */
public record ObjectInfo(String key, long size, String etag, long lastModified, String storageClass) {
  /** A zero-byte key ending in {@code /}: a console "folder", which {@code aws s3 sync} skips. */
  public boolean isFolderMarker() {
    return size == 0 && key.endsWith("/");
  }

  /** Stored in an archive tier: it cannot be read or copied until restored. */
  public boolean isArchived() {
    return "GLACIER".equals(storageClass) || "DEEP_ARCHIVE".equals(storageClass);
  }

  public static final class Coder extends CustomCoder<ObjectInfo> {
    private static final Coder INSTANCE = new Coder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();

    public static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(ObjectInfo o, OutputStream out) throws IOException {
      STRING.encode(o.key(), out);
      LONG.encode(o.size(), out);
      STRING.encode(o.etag(), out);
      LONG.encode(o.lastModified(), out);
      STRING.encode(o.storageClass(), out);
    }

    @Override
    public ObjectInfo decode(InputStream in) throws IOException {
      return new ObjectInfo(STRING.decode(in), LONG.decode(in), STRING.decode(in), LONG.decode(in), STRING.decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    private Object readResolve() {
      return INSTANCE;
    }
  }
}
