package io.replicator.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Copies one key where a directory is on either side: an upload (a file to a bucket: one PUT
 * below the multipart threshold, else parts read in order), a download (an object to a file,
 * pinned to the listed ETag), or a file to a file. A source file is checked against its listing
 * before and after it is read: one that changed meanwhile (size or modification time) fails with
 * {@link SourceChangedException} before anything of it is committed at the target.
 */
final class DirectoryCopies {
  private final SyncSide from;
  private final SyncSide to;
  private final CopySettings settings;

  DirectoryCopies(SyncSide from, SyncSide to, CopySettings settings) {
    this.from = from;
    this.to = to;
    this.settings = settings;
  }

  /**
   * Copies {@code key}, listed at the source as {@code s}; returns the target's ETag (empty for a file).
   *
   * @param storageClass the storage class of an upload, or null for the bucket's default
   */
  String copy(String key, ObjectInfo s, String storageClass) throws IOException {
    if (from instanceof Directory d && to instanceof SyncSide.Bucket b) {
      return upload(d, b, key, s, storageClass);
    }
    Directory target = (Directory) to;
    if (from instanceof SyncSide.Bucket b) {
      try (ResponseInputStream<GetObjectResponse> in = b.endpoint().client().getObject(r -> r
          .bucket(b.location().bucket()).key(b.location().key(key)).ifMatch("\"" + s.etag() + "\""))) {
        target.write(key, s.lastModified(), in.response().contentType(), out -> copyExactly(in, out, s, key));
      }
      return "";
    }
    Directory source = (Directory) from;
    checkUnchanged(source, key, s);
    try (InputStream in = source.open(key)) {
      target.write(key, s.lastModified(), ContentTypes.guess(key), out -> {
        copyExactly(in, out, s, key);
        checkUnchanged(source, key, s);
      });
    }
    return "";
  }

  private String upload(Directory d, SyncSide.Bucket b, String key, ObjectInfo s, String storageClass)
      throws IOException {
    S3Client client = b.endpoint().client();
    String bucket = b.location().bucket();
    String objectKey = b.location().key(key);
    String contentType = ContentTypes.guess(key);
    checkUnchanged(d, key, s);
    if (s.size() < settings.multipartThreshold()) {
      byte[] body;
      try (InputStream in = d.open(key)) {
        body = in.readNBytes((int) s.size() + 1);
      }
      if (body.length != s.size()) {
        throw changed(key, s);
      }
      checkUnchanged(d, key, s);
      return ListObjects.unquote(client.putObject(settings.applyTo(PutObjectRequest.builder().bucket(bucket)
          .key(objectKey).contentType(contentType).storageClass(storageClass)).build(), RequestBody.fromBytes(body))
          .eTag());
    }
    String uploadId = client.createMultipartUpload(settings.applyTo(CreateMultipartUploadRequest.builder()
        .bucket(bucket).key(objectKey).contentType(contentType).storageClass(storageClass)).build()).uploadId();
    try (InputStream in = d.open(key)) {
      StreamedParts parts = StreamedParts.upload(client, bucket, objectKey, uploadId, in,
          (int) settings.partSizeFor(s.size()), s.size(), () -> changed(key, s));
      if (parts.bytes() != s.size()) {
        throw changed(key, s);
      }
      checkUnchanged(d, key, s);
      return StreamedParts.complete(client, bucket, objectKey, uploadId, parts.parts());
    } catch (IOException | RuntimeException e) {
      StreamedParts.abort(client, bucket, objectKey, uploadId);
      throw e;
    }
  }

  /** Copies all of {@code in}, which must be the listed size: a source that grew or shrank is not copied as if whole. */
  private static void copyExactly(InputStream in, OutputStream out, ObjectInfo s, String key) throws IOException {
    long n = in.transferTo(out);
    if (n != s.size()) {
      throw changed(key, s);
    }
  }

  /** The file is still as listed (size and modification time). */
  private static void checkUnchanged(Directory d, String key, ObjectInfo s) throws IOException {
    ObjectInfo now;
    try {
      now = d.current(key);
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new SourceChangedException("the source file " + d.root() + key + " was removed since it was listed");
    }
    if (now.size() != s.size() || now.lastModified() != s.lastModified()) {
      throw changed(key, s);
    }
  }

  private static SourceChangedException changed(String key, ObjectInfo s) {
    return new SourceChangedException("the source " + key + " changed since it was listed (" + s.size()
        + " bytes then), or while it was read: not copied as if whole (run again to copy its new content)");
  }
}
