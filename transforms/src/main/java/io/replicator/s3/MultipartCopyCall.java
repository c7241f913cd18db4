package io.replicator.s3;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.apache.http.Header;
import org.apache.http.client.methods.HttpDelete;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.client.methods.HttpHead;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.client.methods.HttpPut;
import org.apache.http.entity.ByteArrayEntity;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The requests of a server-side copy in parts as plain HTTP ({@link S3Http}), as
 * {@link CopyObjectCall} is for a whole object: the source's metadata (HeadObject) and tags read,
 * the upload created with them (CreateMultipartUpload), each part copied (UploadPartCopy), the
 * upload completed or aborted. Each is tried again as the SDK client would (throttling, server
 * errors, broken connections). Through the SDK client instead, the first large object of a sync
 * built the client and ran its request pipeline cold: the copy threads spent 0.36 s of CPU on the
 * 32 requests of four 32 MB objects in a first sync (2026-12-04).
 */
final class MultipartCopyCall {
  /** The source's system metadata an upload keeps; its user metadata ({@code x-amz-meta-*}) too. */
  private static final Set<String> KEPT = Set.of("content-type", "cache-control", "content-disposition",
      "content-encoding", "content-language", "expires");
  private static final String USER_METADATA = "x-amz-meta-";

  private MultipartCopyCall() {}

  /**
   * The headers that give a new upload the metadata of {@code key} in {@code bucket}, read if the
   * object's ETag is still {@code etag} (else a 412), by lower-case name.
   */
  static Map<String, String> metadata(S3Endpoint endpoint, String bucket, String key, String etag) {
    return S3Http.retried("reading metadata", () -> S3Http.send(endpoint,
        new HttpHead(S3Http.uri(endpoint, bucket, S3Http.encodePath(key), "")), Map.of("if-match", quoted(etag)),
        "HeadObject", (answer, body) -> {
          Map<String, String> kept = new TreeMap<>();
          for (Header h : answer.getAllHeaders()) {
            String name = h.getName().toLowerCase(Locale.ROOT);
            if (KEPT.contains(name) || name.startsWith(USER_METADATA)) {
              kept.put(name, h.getValue());
            }
          }
          return kept;
        }));
  }

  /**
   * The tags of {@code key} in {@code bucket} as an {@code x-amz-tagging} value (URL-encoded
   * {@code key=value} pairs), empty when it has none or the server keeps no tags (S3Proxy).
   */
  static String tagging(S3Endpoint endpoint, String bucket, String key) {
    try {
      return S3Http.retried("reading tags", () -> S3Http.send(endpoint,
          new HttpGet(S3Http.uri(endpoint, bucket, S3Http.encodePath(key), "tagging=")), Map.of(), "GetObjectTagging",
          MultipartCopyCall::tagging));
    } catch (S3Exception e) {
      if (e.statusCode() == 501) {
        return ""; // the server has no tagging: there are no tags to keep
      }
      throw e;
    }
  }

  /** Starts an upload of {@code key} with {@code headers} (metadata, tags, storage class...); its upload id. */
  static String create(S3Endpoint endpoint, String bucket, String key, Map<String, String> headers) {
    return S3Http.retried("starting an upload", () -> S3Http.send(endpoint,
        new HttpPost(S3Http.uri(endpoint, bucket, S3Http.encodePath(key), "uploads=")), headers, "CreateMultipartUpload",
        body -> S3Http.element(S3Http.text(body), "CreateMultipartUpload", "UploadId")));
  }

  /**
   * Copies bytes {@code first} to {@code last} (inclusive) of the source, if its ETag is still
   * {@code etag}, as part {@code part} of the upload; the part's ETag, without quotes.
   */
  static String copyPart(S3Endpoint endpoint, String sourceBucket, String sourceKey, String etag, String bucket,
      String key, String uploadId, int part, long first, long last) {
    java.net.URI uri = S3Http.uri(endpoint, bucket, S3Http.encodePath(key), "partNumber=" + part + "&uploadId="
        + S3Http.encodeQuery(uploadId));
    Map<String, String> headers = Map.of(
        "x-amz-copy-source", "/" + sourceBucket + "/" + S3Http.encodePath(sourceKey),
        "x-amz-copy-source-if-match", quoted(etag),
        "x-amz-copy-source-range", "bytes=" + first + "-" + last);
    return ListObjects.unquote(S3Http.retried("copying a part", () -> S3Http.send(endpoint, new HttpPut(uri), headers,
        "UploadPartCopy", body -> S3Http.element(S3Http.text(body), "UploadPartCopy", "ETag"))));
  }

  /** Completes the upload from its parts' ETags (part 1 first); the new object's ETag, without quotes. */
  static String complete(S3Endpoint endpoint, String bucket, String key, String uploadId, List<String> parts) {
    StringBuilder xml = new StringBuilder("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < parts.size(); i++) {
      xml.append("<Part><ETag>&quot;").append(escaped(parts.get(i))).append("&quot;</ETag><PartNumber>").append(i + 1)
          .append("</PartNumber></Part>");
    }
    byte[] body = xml.append("</CompleteMultipartUpload>").toString().getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = Map.of("content-type", "application/xml",
        "x-amz-content-sha256", SigV4.payloadHash(body));
    java.net.URI uri = S3Http.uri(endpoint, bucket, S3Http.encodePath(key), "uploadId=" + S3Http.encodeQuery(uploadId));
    return ListObjects.unquote(S3Http.retried("completing an upload", () -> {
      HttpPost post = new HttpPost(uri);
      post.setEntity(new ByteArrayEntity(body));
      return S3Http.send(endpoint, post, headers, "CompleteMultipartUpload",
          answer -> S3Http.element(S3Http.text(answer), "CompleteMultipartUpload", "ETag"));
    }));
  }

  /** Aborts the upload after a failure, which is what gets reported. */
  static void abort(S3Endpoint endpoint, String bucket, String key, String uploadId) {
    try {
      S3Http.send(endpoint, new HttpDelete(S3Http.uri(endpoint, bucket, S3Http.encodePath(key),
          "uploadId=" + S3Http.encodeQuery(uploadId))), Map.of(), "AbortMultipartUpload", S3Http::text);
    } catch (SdkException e) {
      // The upload stays until a lifecycle rule removes it; the copy's own failure is reported.
    }
  }

  /** Reads a Tagging answer as it streams in. */
  private static String tagging(InputStream body) throws IOException {
    StringJoiner tags = new StringJoiner("&");
    try {
      XMLStreamReader xml = S3Http.XML.createXMLStreamReader(body);
      String name = null;
      String value = null;
      for (int depth = 0; xml.hasNext(); ) {
        int event = xml.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          depth++;
          String element = xml.getLocalName();
          if (depth == 1 && !element.equals("Tagging")) {
            throw new S3Http.UnreadableAnswer("a GetObjectTagging answer is a Tagging, not a " + element);
          }
          if (element.equals("Key") || element.equals("Value")) {
            String text = xml.getElementText();
            depth--;
            if (element.equals("Key")) {
              name = text;
            } else {
              value = text;
            }
          }
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          if (xml.getLocalName().equals("Tag")) {
            if (name == null) {
              throw new S3Http.UnreadableAnswer("a GetObjectTagging answer has a Tag without its Key");
            }
            tags.add(URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8));
            name = null;
            value = null;
          }
          depth--;
        }
      }
    } catch (XMLStreamException e) {
      throw new S3Http.UnreadableAnswer("an unreadable GetObjectTagging answer: " + e.getMessage(), e);
    }
    return tags.toString();
  }

  private static String quoted(String etag) {
    return "\"" + etag + "\"";
  }

  private static String escaped(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
