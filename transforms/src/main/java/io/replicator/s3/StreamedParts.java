package io.replicator.s3;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * The parts of a multipart upload read from a stream in order, one part in memory at a time, and
 * the upload's completion or abort: shared by copies between services and uploads of files.
 *
 * @param parts the parts uploaded, in order
 * @param bytes how many bytes the stream gave
 */
record StreamedParts(List<CompletedPart> parts, long bytes) {
  /**
   * Uploads {@code in} as parts of {@code partSize} bytes; more than {@code limit} bytes throw
   * {@code tooLong} (the source grew while it was read) before any further part is sent.
   */
  static StreamedParts upload(S3Client client, String bucket, String key, String uploadId, InputStream in,
      int partSize, long limit, java.util.function.Supplier<? extends IOException> tooLong) throws IOException {
    byte[] buffer = new byte[partSize];
    List<CompletedPart> parts = new ArrayList<>();
    long read = 0;
    for (int number = 1; ; number++) {
      int n = in.readNBytes(buffer, 0, buffer.length);
      if (n == 0) {
        return new StreamedParts(parts, read);
      }
      read += n;
      if (read > limit) {
        throw tooLong.get();
      }
      int part = number;
      String etag = client.uploadPart(p -> p.bucket(bucket).key(key).uploadId(uploadId).partNumber(part),
          RequestBody.fromBytes(Arrays.copyOf(buffer, n))).eTag();
      parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
    }
  }

  /** Completes the upload with these parts; the new object's ETag. */
  static String complete(S3Client client, String bucket, String key, String uploadId, List<CompletedPart> parts) {
    return ListObjects.unquote(client.completeMultipartUpload(c -> c.bucket(bucket).key(key).uploadId(uploadId)
        .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())).eTag());
  }

  /** Aborts the upload after a failure, which is what gets reported. */
  static void abort(S3Client client, String bucket, String key, String uploadId) {
    try {
      client.abortMultipartUpload(a -> a.bucket(bucket).key(key).uploadId(uploadId));
    } catch (SdkException e) {
      // The upload stays until a lifecycle rule removes it; the copy's own failure is reported.
    }
  }
}
