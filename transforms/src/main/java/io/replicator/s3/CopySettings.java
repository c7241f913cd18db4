package io.replicator.s3;

import java.io.Serializable;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * How objects are written to the target.
 *
 * @param multipartThreshold objects of this size or more are copied in parts
 * @param partSize the size of each part (S3 needs at least 5 MiB but for the last)
 * @param storageClass the target's storage class, or null to keep the source's
 * @param acl a canned ACL for the copies, or null to set none (as {@code aws s3 sync})
 * @param sse server-side encryption of the copies ({@code AES256}, {@code aws:kms}), or null
 * @param kmsKeyId the KMS key with {@code aws:kms}, or null for the account's default
 * @param dryRun plan and report, copy nothing
 * @param inFlight the most copies one worker runs at once
 */
public record CopySettings(long multipartThreshold, long partSize, String storageClass, String acl, String sse,
    String kmsKeyId, boolean dryRun, int inFlight) implements Serializable {
  /** Copies in flight per worker unless set: enough for a server close by, few enough to share two cores with it. */
  public static final int DEFAULT_IN_FLIGHT = 16;

  public static final long MIN_PART = 5L << 20;
  public static final long MAX_SINGLE_COPY = 5L << 30;

  public CopySettings {
    if (multipartThreshold < MIN_PART || multipartThreshold > MAX_SINGLE_COPY) {
      throw new IllegalArgumentException("--multipartThreshold must be between 5MB and 5GB (the most one CopyObject"
          + " copies), got " + multipartThreshold);
    }
    if (inFlight < 1 || inFlight > 1024) {
      throw new IllegalArgumentException("--copiesInFlight must be between 1 and 1024, got " + inFlight);
    }
    if (partSize < MIN_PART) {
      throw new IllegalArgumentException("--multipartChunkSize must be at least 5MB, got " + partSize);
    }
  }

  /** A single-request upload with the copies' ACL and encryption, if set. */
  PutObjectRequest.Builder applyTo(PutObjectRequest.Builder r) {
    if (acl != null) {
      r.acl(acl);
    }
    return sse == null ? r : r.serverSideEncryption(sse).ssekmsKeyId(kmsKeyId);
  }

  /** A multipart upload with the copies' ACL and encryption, if set. */
  CreateMultipartUploadRequest.Builder applyTo(CreateMultipartUploadRequest.Builder r) {
    if (acl != null) {
      r.acl(acl);
    }
    return sse == null ? r : r.serverSideEncryption(sse).ssekmsKeyId(kmsKeyId);
  }

  /** The part size for an object of {@code size} bytes: at most 10,000 parts. */
  public long partSizeFor(long size) {
    return Math.max(partSize, (size + 9_999) / 10_000);
  }
}
