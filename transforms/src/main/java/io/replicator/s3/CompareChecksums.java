package io.replicator.s3;

import io.replicator.common.Counters;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Settles {@code --compare=checksum}: for a key of one size at both sides, reads both objects'
 * S3 additional checksums (one HEAD each) and copies when they differ. Where the two sides have no
 * checksum in common it falls back to the ETags (when neither is of a multipart upload), else to
 * size and time, and the reason says so.
 *
 * <pre>{@code
 * PCollection<SyncAction> decided = checks.apply(CompareChecksums.between(src, srcLocation, dst, dstLocation));
 * }</pre>
 */
public final class CompareChecksums extends PTransform<PCollection<SyncAction>, PCollection<SyncAction>> {
  private final S3Endpoint sourceEndpoint;
  private final S3Location source;
  private final S3Endpoint targetEndpoint;
  private final S3Location target;

  private CompareChecksums(S3Endpoint sourceEndpoint, S3Location source, S3Endpoint targetEndpoint, S3Location target) {
    this.sourceEndpoint = sourceEndpoint;
    this.source = source;
    this.targetEndpoint = targetEndpoint;
    this.target = target;
  }

  public static CompareChecksums between(S3Endpoint sourceEndpoint, S3Location source, S3Endpoint targetEndpoint,
      S3Location target) {
    return new CompareChecksums(sourceEndpoint, source, targetEndpoint, target);
  }

  @Override
  public PCollection<SyncAction> expand(PCollection<SyncAction> checks) {
    return checks.apply("Compare checksums", ParDo.of(new CompareFn(this))).setCoder(SyncAction.coder());
  }

  /** The object's additional checksums by algorithm, in a fixed order of preference. */
  static Map<String, String> checksums(HeadObjectResponse h) {
    Map<String, String> out = new LinkedHashMap<>();
    if (h.checksumSHA256() != null) {
      out.put("SHA256", h.checksumSHA256());
    }
    if (h.checksumSHA1() != null) {
      out.put("SHA1", h.checksumSHA1());
    }
    if (h.checksumCRC32C() != null) {
      out.put("CRC32C", h.checksumCRC32C());
    }
    if (h.checksumCRC32() != null) {
      out.put("CRC32", h.checksumCRC32());
    }
    return out;
  }

  private static final class CompareFn extends DoFn<SyncAction, SyncAction> {
    private final CompareChecksums spec;
    private final Counter compared = Counters.counter(SyncCounters.CHECKSUMS_COMPARED);
    private final Counter fellBack = Counters.counter(SyncCounters.CHECKSUM_FALLBACKS);

    CompareFn(CompareChecksums spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element SyncAction a, OutputReceiver<SyncAction> out) {
      ObjectInfo s = a.source();
      ObjectInfo t = a.target();
      Map<String, String> sourceSums;
      Map<String, String> targetSums;
      try {
        sourceSums = checksums(spec.sourceEndpoint.client().headObject(b -> b.bucket(spec.source.bucket())
            .key(spec.source.key(a.key())).checksumMode(ChecksumMode.ENABLED)));
        targetSums = checksums(spec.targetEndpoint.client().headObject(b -> b.bucket(spec.target.bucket())
            .key(spec.target.key(a.key())).checksumMode(ChecksumMode.ENABLED)));
      } catch (SdkException e) {
        out.output(new SyncAction(a.key(), SyncAction.Kind.COPY, "checksums unreadable, copied to be sure ("
            + S3Errors.describe("reading checksums", spec.targetEndpoint, e) + ")", s, t));
        return;
      }
      for (Map.Entry<String, String> sum : sourceSums.entrySet()) {
        String other = targetSums.get(sum.getKey());
        if (other != null) {
          compared.inc();
          out.output(other.equals(sum.getValue())
              ? new SyncAction(a.key(), SyncAction.Kind.SKIP, "up to date (" + sum.getKey() + " checksums match)", s, t)
              : new SyncAction(a.key(), SyncAction.Kind.COPY, sum.getKey() + " checksum differs", s, t));
          return;
        }
      }
      fellBack.inc();
      if (!s.etag().contains("-") && !t.etag().contains("-")) {
        out.output(s.etag().equals(t.etag())
            ? new SyncAction(a.key(), SyncAction.Kind.SKIP, "up to date (no checksum in common; ETags match)", s, t)
            : new SyncAction(a.key(), SyncAction.Kind.COPY, "etag differs (no checksum in common)", s, t));
      } else {
        out.output(s.lastModified() > t.lastModified()
            ? new SyncAction(a.key(), SyncAction.Kind.COPY, "source newer (no checksum in common)", s, t)
            : new SyncAction(a.key(), SyncAction.Kind.SKIP, "up to date (no checksum in common; size and time)", s, t));
      }
    }
  }
}
