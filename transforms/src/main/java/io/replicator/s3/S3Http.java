package io.replicator.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.ProxySelector;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.apache.http.HttpEntity;
import org.apache.http.HttpException;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.config.RegistryBuilder;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.conn.socket.PlainConnectionSocketFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClientBuilder;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.impl.conn.SystemDefaultRoutePlanner;
import org.apache.http.protocol.HttpContext;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The S3 requests of a sync between buckets (ListObjectsV2 pages and CopyObject by the thousand,
 * the few of a copy in parts) as plain HTTP:
 * signed by {@link SigV4} with the endpoint's own credentials and sent by an Apache HTTP client of
 * their own, without the SDK client's per-request pipeline (interceptors, marshalling, a DOM of
 * each answer) or its HTTP client's wrapping. On a machine that also runs the server they are
 * bound by CPU. Failures come back as the SDK's own {@link S3Exception} (status and error code)
 * or {@link SdkClientException}, so retries and messages are those of every other request.
 */
final class S3Http {
  /** S3's answers: no DTDs or external entities; text read whole. */
  static final XMLInputFactory XML = XMLInputFactory.newDefaultFactory();
  private static final Map<S3Endpoint, CloseableHttpClient> CLIENTS = new ConcurrentHashMap<>();
  private static final Map<S3Endpoint, URI> BASES = new ConcurrentHashMap<>();
  private static final Pattern CODE = Pattern.compile("<Code>([^<]*)</Code>");
  private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]*)</Message>");
  /** A large server-side copy may take minutes; S3 keeps the connection alive meanwhile. */
  private static final Duration TIMEOUT = Duration.ofMinutes(15);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Tries of a request in {@link #retried}. */
  private static final int ATTEMPTS = 6;

  static {
    XML.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    XML.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    XML.setProperty(XMLInputFactory.IS_COALESCING, true);
  }

  private S3Http() {}

  /** An answer that is not what the request asks for (cut short, or not the document expected). */
  static final class UnreadableAnswer extends IOException {
    UnreadableAnswer(String message) {
      super(message);
    }

    UnreadableAnswer(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Reads a successful answer's body. */
  interface BodyReader<T> {
    T read(InputStream body) throws IOException;
  }

  /** Reads a successful answer: its headers and its body. */
  interface AnswerReader<T> {
    T read(HttpResponse answer, InputStream body) throws IOException;
  }

  /**
   * Sends {@code request} to {@code endpoint}, signed with {@code headers} (lower-case names), and
   * reads a 2xx answer's body with {@code reader}; any other answer is thrown as an
   * {@link S3Exception}, an I/O failure as an {@link SdkClientException} naming {@code what}.
   */
  static <T> T send(S3Endpoint endpoint, HttpRequestBase request, Map<String, String> headers, String what,
      BodyReader<T> reader) {
    return send(endpoint, request, headers, what, (AnswerReader<T>) (answer, body) -> reader.read(body));
  }

  /** As above, the reader given the answer's headers too. */
  static <T> T send(S3Endpoint endpoint, HttpRequestBase request, Map<String, String> headers, String what,
      AnswerReader<T> reader) {
    URI uri = request.getURI();
    // Host included: the client then sends the one signed (no default port) rather than its own.
    SigV4.sign(request.getMethod(), uri, headers, endpoint.credentials().resolveCredentials(),
        endpoint.signingRegion().id(), Instant.now()).forEach(request::addHeader);
    try (CloseableHttpResponse response = client(endpoint).execute(request)) {
      int status = response.getStatusLine().getStatusCode();
      HttpEntity entity = response.getEntity();
      try (InputStream in = entity == null ? InputStream.nullInputStream() : entity.getContent()) {
        if (status / 100 != 2) {
          throw error(status, text(in));
        }
        return reader.read(response, in);
      }
    } catch (IOException e) {
      throw SdkClientException.create(what + " at " + uri.getHost() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The text of the first element named {@code name} under the root of a short XML answer to
   * {@code operation}, whatever the root is called (S3Proxy answers an UploadPartCopy with S3's
   * CopyObject document). S3 may answer 200 and then an error document when a long request fails
   * (a copy, a completion): that is thrown as a server error, which is retried.
   */
  static String element(String body, String operation, String name) throws UnreadableAnswer {
    String root = null;
    try {
      XMLStreamReader xml = XML.createXMLStreamReader(new StringReader(body));
      for (int depth = 0; xml.hasNext(); ) {
        int event = xml.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          depth++;
          if (depth == 1) {
            root = xml.getLocalName();
            if (root.equals("Error")) {
              throw error(500, body);
            }
          } else if (depth == 2 && xml.getLocalName().equals(name)) {
            return xml.getElementText();
          }
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          depth--;
        }
      }
    } catch (XMLStreamException e) {
      throw new UnreadableAnswer("an unreadable " + operation + " answer: " + e.getMessage(), e);
    }
    throw new UnreadableAnswer("the " + operation + " answer has no " + name + (root == null ? "" : " under its " + root));
  }

  /**
   * Runs {@code request} up to six times: again after throttling, a server error or a broken
   * connection (as the SDK client retries), waiting longer each time.
   */
  static <T> T retried(String what, Supplier<T> request) {
    for (int attempt = 1; ; attempt++) {
      try {
        return request.get();
      } catch (SdkException e) {
        if (attempt >= ATTEMPTS || !retryable(e)) {
          throw e;
        }
        try {
          Thread.sleep(Math.min(20_000L, 100L << attempt));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw SdkClientException.create("interrupted while " + what, interrupted);
        }
      }
    }
  }

  /** An error answer as the SDK's exception: its status, S3's error code and message. */
  static S3Exception error(int status, String body) {
    Matcher code = CODE.matcher(body);
    Matcher message = MESSAGE.matcher(body);
    String errorCode = code.find() ? code.group(1) : "HTTP" + status;
    return (S3Exception) S3Exception.builder().statusCode(status)
        .message(message.find() ? message.group(1) : errorCode)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(errorCode).serviceName("S3").build()).build();
  }

  /**
   * S3's throttling and server errors and a failed exchange (connection, timeout, an answer cut
   * short): another try may do. Not missing credentials: another try ends the same, only later.
   */
  static boolean retryable(SdkException e) {
    return (e instanceof SdkClientException && e.getCause() instanceof IOException)
        || (e instanceof S3Exception s3 && (s3.statusCode() == 429 || (s3.statusCode() >= 500 && s3.statusCode() != 501)));
  }

  /**
   * A short answer as text, read in a buffer its size rather than the 8 KB one {@code readAllBytes}
   * takes for each (80 MB of garbage in a first sync of 10,000 CopyObjects).
   */
  static String text(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream(512);
    byte[] buffer = new byte[512];
    for (int n; (n = in.read(buffer)) >= 0; ) {
      body.write(buffer, 0, n);
    }
    return body.toString(StandardCharsets.UTF_8);
  }

  /**
   * A URL in the bucket: path-style at a given endpoint when asked (or for a bucket name with
   * dots), else virtual-hosted; {@code path} is encoded already and {@code query} canonical.
   */
  static URI uri(S3Endpoint endpoint, String bucket, String path, String query) {
    URI base = BASES.computeIfAbsent(endpoint, S3Http::base);
    String q = query.isEmpty() ? "" : "?" + query;
    if (endpoint.pathStyle() || bucket.contains(".")) {
      return URI.create(base + "/" + bucket + (path.isEmpty() ? "" : "/" + path) + q);
    }
    return URI.create(base.getScheme() + "://" + bucket + "." + base.getRawAuthority() + "/" + path + q);
  }

  /** The endpoint's URL without its trailing slashes, or S3's own in the endpoint's region. */
  private static URI base(S3Endpoint endpoint) {
    if (endpoint.endpoint() == null) {
      return URI.create("https://s3." + endpoint.signingRegion().id() + ".amazonaws.com");
    }
    String base = endpoint.endpoint();
    int end = base.length();
    while (end > 0 && base.charAt(end - 1) == '/') {
      end--;
    }
    return URI.create(base.substring(0, end));
  }

  /** A key as S3 wants it in a path: each UTF-8 byte but the unreserved ones and {@code /} percent-encoded. */
  static String encodePath(String key) {
    return encode(key, true);
  }

  /** A query parameter's value as SigV4 wants it: each UTF-8 byte but the unreserved ones percent-encoded. */
  static String encodeQuery(String value) {
    return encode(value, false);
  }

  private static String encode(String s, boolean keepSlash) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
          || c == '.' || c == '~' || (c == '/' && keepSlash)) {
        sb.append(c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  /**
   * The endpoint's HTTP client: a connection pool as wide as the SDK client's, the JVM's TLS and
   * proxy settings (as the SDK's client follows them), and none of the cookie, authentication,
   * redirect or retry handling these requests have no use for (their callers retry).
   */
  private static CloseableHttpClient client(S3Endpoint endpoint) {
    return CLIENTS.computeIfAbsent(endpoint, e -> newClient(64));
  }

  static CloseableHttpClient newClient(int connections) {
    PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager(
        RegistryBuilder.<ConnectionSocketFactory>create()
            .register("http", PlainConnectionSocketFactory.getSocketFactory())
            .register("https", SSLConnectionSocketFactory.getSystemSocketFactory()).build());
    pool.setMaxTotal(connections);
    pool.setDefaultMaxPerRoute(connections);
    return HttpClientBuilder.create().useSystemProperties().setConnectionManager(pool)
        .setRoutePlanner(new ProxyPerHost())
        .disableCookieManagement().disableAuthCaching().disableRedirectHandling().disableContentCompression()
        .disableAutomaticRetries().disableConnectionState().setUserAgent("Replicator s3-sync")
        // A key is a name, not a path: "a//b" and "a/../b" are keys of their own, sent as they are.
        .setDefaultRequestConfig(RequestConfig.custom().setNormalizeUri(false)
            .setConnectTimeout((int) CONNECT_TIMEOUT.toMillis()).setSocketTimeout((int) TIMEOUT.toMillis()).build())
        .build();
  }

  /**
   * The JVM's proxy settings, as {@code useSystemProperties} follows them, asked once per host
   * rather than once per request (2-3% of the copy threads' CPU in a first sync).
   */
  private static final class ProxyPerHost extends SystemDefaultRoutePlanner {
    private final Map<HttpHost, Optional<HttpHost>> proxies = new ConcurrentHashMap<>();

    ProxyPerHost() {
      super(ProxySelector.getDefault());
    }

    @Override
    protected HttpHost determineProxy(HttpHost target, HttpRequest request, HttpContext context) throws HttpException {
      Optional<HttpHost> proxy = proxies.get(target);
      if (proxy == null) {
        proxy = Optional.ofNullable(super.determineProxy(target, request, context));
        proxies.put(target, proxy);
      }
      return proxy.orElse(null);
    }
  }
}
