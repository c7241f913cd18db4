package io.replicator.s3;

/**
 * The names of the Beam counters a sync keeps, for the transforms that count and for the progress
 * lines and summaries that read them (one name in one place: a renamed counter cannot read as 0).
 */
public final class SyncCounters {
  private SyncCounters() {}

  public static final String OBJECTS_TO_COPY = "objects_to_copy";
  public static final String BYTES_TO_COPY = "bytes_to_copy";
  public static final String OBJECTS_TO_DELETE = "objects_to_delete";
  public static final String OBJECTS_COPIED = "objects_copied";
  public static final String BYTES_COPIED = "bytes_copied";
  public static final String OBJECTS_FAILED = "objects_failed";
  public static final String OBJECTS_DELETED = "objects_deleted";
  public static final String CHECKSUMS_COMPARED = "checksums_compared";
  public static final String CHECKSUM_FALLBACKS = "checksum_fallbacks";

  /** Results with {@code action} (one of {@link SyncObjects#ACTIONS}), as the report says them. */
  public static String action(String action) {
    return "sync_" + action.replace(' ', '_');
  }

  /** Objects listed at a side ({@code source} or {@code target}). */
  public static String objectsListed(String side) {
    return side + "_objects_listed";
  }

  /** Bytes listed at a side ({@code source} or {@code target}). */
  public static String bytesListed(String side) {
    return side + "_bytes_listed";
  }
}
