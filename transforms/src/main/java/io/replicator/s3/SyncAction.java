package io.replicator.s3;

import io.replicator.common.RecordCoder;
import org.apache.beam.sdk.coders.NullableCoder;

/**
 * What the plan decided for one key: copy it, leave it, delete it from the target, or report it
 * (archived, excluded, a folder marker). Carries what was listed on each side (null where absent).
 */
public record SyncAction(String key, Kind kind, String reason, ObjectInfo source, ObjectInfo target) {
  /**
   * CHECK: same size at both sides; only checksums, read per object, can tell ({@code --compare=checksum}).
   * UNREADABLE: a source file the listing found and could not read.
   */
  public enum Kind { COPY, SKIP, DELETE, ARCHIVED, EXCLUDED, CHECK, UNREADABLE }

  private static final NullableCoder<ObjectInfo> INFO = NullableCoder.of(ObjectInfo.coder());
  private static final RecordCoder<SyncAction> CODER = RecordCoder.of(SyncAction.class,
      (a, out) -> out.string(a.key()).varInt(a.kind().ordinal()).string(a.reason())
          .with(INFO, a.source()).with(INFO, a.target()),
      in -> new SyncAction(in.string(), Kind.values()[in.varInt()], in.string(), in.with(INFO), in.with(INFO)));

  /** Coder: the key, the kind, the reason and what each side listed. */
  public static RecordCoder<SyncAction> coder() {
    return CODER;
  }
}
