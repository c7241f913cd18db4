package io.replicator.s3;

import io.replicator.common.RecordCoder;

/**
 * One listed object: its key relative to the listed prefix, size, ETag (without quotes), last
 * modified time (epoch milliseconds) and storage class, all from ListObjectsV2; or one file of a
 * directory (no ETag, {@link #STANDARD}), or a file the listing found but could not read
 * ({@link #unreadable}).
 */
public record ObjectInfo(String key, long size, String etag, long lastModified, String storageClass) {
  public static final String STANDARD = "STANDARD";
  /** The storage class of an unreadable file: this, then why. */
  private static final String UNREADABLE = "UNREADABLE: ";

  /** A file the listing found and cannot read: it is reported, and its key is never deleted at the other side. */
  public static ObjectInfo unreadable(String key, String why) {
    return new ObjectInfo(key, 0, "", 0, UNREADABLE + why);
  }

  public boolean isUnreadable() {
    return storageClass.startsWith(UNREADABLE);
  }

  /** Why an {@link #isUnreadable} file could not be read. */
  public String unreadableReason() {
    return storageClass.substring(UNREADABLE.length());
  }

  /** A zero-byte key ending in {@code /}: a console "folder", which {@code aws s3 sync} skips. */
  public boolean isFolderMarker() {
    return size == 0 && key.endsWith("/");
  }

  /** Stored in an archive tier: it cannot be read or copied until restored. */
  public boolean isArchived() {
    return "GLACIER".equals(storageClass) || "DEEP_ARCHIVE".equals(storageClass);
  }

  private static final RecordCoder<ObjectInfo> CODER = RecordCoder.of(ObjectInfo.class,
      (o, out) -> out.string(o.key()).varLong(o.size()).string(o.etag()).varLong(o.lastModified())
          .string(o.storageClass()),
      in -> new ObjectInfo(in.string(), in.varLong(), in.string(), in.varLong(), in.string()));

  /** Coder: strings and var-longs. */
  public static RecordCoder<ObjectInfo> coder() {
    return CODER;
  }
}
