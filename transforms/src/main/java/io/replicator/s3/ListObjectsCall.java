package io.replicator.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.apache.http.client.methods.HttpGet;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * One ListObjectsV2 page as a single HTTP request ({@link S3Http}), its answer read as it streams
 * in, with keys URL-encoded by S3 ({@code encoding-type=url}: a key may hold characters XML 1.0
 * cannot carry). Retried as the SDK client retries a request: throttling, server errors and
 * broken connections, five times more with a growing wait. Listing both sides is most of a
 * no-op sync's work and the SDK reads each page into a DOM first: its unmarshalling was a fifth of
 * the runner's threads' CPU in a first sync of 10,000 objects.
 */
final class ListObjectsCall {
  /** A page: its objects (keys in full), the common prefixes (with a delimiter), the next page's token or null. */
  record Page(List<ObjectInfo> objects, List<String> prefixes, String nextToken) {}

  private ListObjectsCall() {}

  /**
   * The page of {@code bucket} under {@code prefix} after {@code token} (null for the first), at
   * most {@code maxKeys} objects, grouped by {@code delimiter} (null for none).
   */
  static Page list(S3Endpoint endpoint, String bucket, String prefix, String delimiter, String token, int maxKeys) {
    // The query in SigV4's canonical form (sorted, encoded): signed and sent as one string.
    Map<String, String> query = new TreeMap<>();
    query.put("list-type", "2");
    query.put("encoding-type", "url");
    query.put("max-keys", Integer.toString(maxKeys));
    if (!prefix.isEmpty()) {
      query.put("prefix", prefix);
    }
    if (delimiter != null) {
      query.put("delimiter", delimiter);
    }
    if (token != null) {
      query.put("continuation-token", token);
    }
    StringBuilder q = new StringBuilder();
    query.forEach((name, value) -> q.append(q.length() == 0 ? "" : "&").append(name).append('=')
        .append(S3Http.encodeQuery(value)));
    return S3Http.retried("listing", () -> S3Http.send(endpoint,
        new HttpGet(S3Http.uri(endpoint, bucket, "", q.toString())), Map.of(), "ListObjectsV2", ListObjectsCall::parse));
  }

  /** See {@link ListObjects#initializeClasses}. */
  static void initializeClasses() {
    S3Endpoint placeholder = new S3Endpoint("http://127.0.0.1:1", null, true, null);
    SigV4.sign("GET", S3Http.uri(placeholder, "placeholder", "", "list-type=2"), Map.of(),
        AwsBasicCredentials.create("placeholder", "placeholder"), "us-east-1", Instant.now());
    try {
      S3Http.newClient(1).close();
      parse("<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>"
          + "<Contents><Key>a%2Bb+c</Key><LastModified>2026-12-04T10:00:00.000Z</LastModified><ETag>&quot;e&quot;</ETag>"
          + "<Size>1</Size><StorageClass>STANDARD</StorageClass></Contents><EncodingType>url</EncodingType>"
          + "</ListBucketResult>");
    } catch (IOException e) {
      throw new IllegalStateException("the placeholder listing failed", e);
    }
  }

  /** Reads a ListBucketResult as it streams in. */
  static Page parse(InputStream body) throws IOException {
    try {
      return parse(S3Http.XML.createXMLStreamReader(body));
    } catch (XMLStreamException e) {
      // A connection cut mid-answer lands here too: the caller may try again.
      throw new S3Http.UnreadableAnswer("unreadable ListObjectsV2 answer: " + e.getMessage(), e);
    }
  }

  /** As above, from text (the start-up warm-up, tests). */
  static Page parse(String body) throws IOException {
    try {
      return parse(S3Http.XML.createXMLStreamReader(new StringReader(body)));
    } catch (XMLStreamException e) {
      throw new S3Http.UnreadableAnswer("unreadable ListObjectsV2 answer: " + e.getMessage(), e);
    }
  }

  private static Page parse(XMLStreamReader xml) throws XMLStreamException, IOException {
    List<ObjectInfo> objects = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    boolean urlEncoded = false;
    boolean truncated = false;
    String next = null;
    boolean root = false;
    String key = null;
    String etag = "";
    String storageClass = ObjectInfo.STANDARD;
    long size = -1;
    long modified = 0;
    int depth = 0;
    String section = null;
    while (xml.hasNext()) {
      int event = xml.next();
      if (event == XMLStreamConstants.START_ELEMENT) {
        depth++;
        String name = xml.getLocalName();
        if (depth == 1) {
          root = name.equals("ListBucketResult");
          if (!root) {
            throw new S3Http.UnreadableAnswer("a ListObjectsV2 answer is a ListBucketResult, not a " + name);
          }
        } else if (depth == 2 && (name.equals("Contents") || name.equals("CommonPrefixes"))) {
          section = name;
          key = null;
          etag = "";
          storageClass = ObjectInfo.STANDARD;
          size = -1;
          modified = 0;
        } else if (depth == 2) {
          String text = xml.getElementText();
          depth--;
          switch (name) {
            case "IsTruncated" -> truncated = text.equals("true");
            case "NextContinuationToken" -> next = text;
            case "EncodingType" -> urlEncoded = text.equals("url");
            default -> { }
          }
        } else if (depth == 3 && section != null) {
          String text = xml.getElementText();
          depth--;
          try {
            switch (name) {
              case "Key", "Prefix" -> key = text;
              case "Size" -> size = Long.parseLong(text);
              case "ETag" -> etag = text.replace("\"", "");
              case "LastModified" -> modified = epochMilli(text);
              case "StorageClass" -> storageClass = text;
              default -> { }
            }
          } catch (DateTimeException | NumberFormatException e) {
            throw new S3Http.UnreadableAnswer("a ListObjectsV2 answer has an unreadable " + name + " '" + text + "'"
                + (key == null ? "" : " for " + key), e);
          }
        }
      } else if (event == XMLStreamConstants.END_ELEMENT) {
        if (depth == 2 && section != null) {
          if (key == null) {
            throw new S3Http.UnreadableAnswer("a ListObjectsV2 answer has a " + section + " without its key");
          }
          if (section.equals("Contents")) {
            if (size < 0) {
              throw new S3Http.UnreadableAnswer("a ListObjectsV2 answer has no size for " + key);
            }
            objects.add(new ObjectInfo(key, size, etag, modified, storageClass));
          } else {
            prefixes.add(key);
          }
          section = null;
        }
        depth--;
      }
    }
    if (!root) {
      throw new S3Http.UnreadableAnswer("a ListObjectsV2 answer without a ListBucketResult");
    }
    if (truncated && next == null) {
      throw new S3Http.UnreadableAnswer("a truncated ListObjectsV2 answer without its NextContinuationToken");
    }
    if (urlEncoded) {
      // S3 encodes as a form does: a space as +, a + as %2B.
      objects.replaceAll(o -> new ObjectInfo(decode(o.key()), o.size(), o.etag(), o.lastModified(), o.storageClass()));
      prefixes.replaceAll(ListObjectsCall::decode);
    }
    return new Page(objects, prefixes, truncated ? next : null);
  }

  /**
   * An ISO-8601 time as S3 writes it ({@code 2026-12-04T10:00:01.500Z}) read by hand, anything
   * else by {@link Instant#parse}: reading every object's time through the JDK's formatter had C1
   * compile 68 of its methods in a first sync (75 ms of compiling, by Flight Recorder).
   */
  static long epochMilli(String t) {
    int n = t.length();
    if ((n == 20 || n == 24) && t.charAt(4) == '-' && t.charAt(7) == '-' && t.charAt(10) == 'T'
        && t.charAt(13) == ':' && t.charAt(16) == ':' && t.charAt(n - 1) == 'Z' && (n == 20 || t.charAt(19) == '.')) {
      try {
        long day = LocalDate.of(digits(t, 0, 4), digits(t, 5, 7), digits(t, 8, 10)).toEpochDay();
        int hour = digits(t, 11, 13);
        int minute = digits(t, 14, 16);
        int second = digits(t, 17, 19);
        if (hour < 24 && minute < 60 && second < 60) {
          return ((day * 24 + hour) * 60 + minute) * 60_000 + second * 1000L + (n == 24 ? digits(t, 20, 23) : 0);
        }
      } catch (DateTimeException | NumberFormatException e) {
        // Not as S3 writes it after all: the JDK's reading says what is wrong.
      }
    }
    return Instant.parse(t).toEpochMilli();
  }

  private static int digits(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        throw new NumberFormatException(s);
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static String decode(String s) {
    return s.indexOf('%') < 0 && s.indexOf('+') < 0 ? s : URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
