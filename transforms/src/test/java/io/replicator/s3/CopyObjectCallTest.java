package io.replicator.s3;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The requests a CopyObject sends and how its answers are read, against a fake server on loopback. */
public class CopyObjectCallTest {
  private HttpServer server;
  private final Map<String, String> received = new ConcurrentHashMap<>();
  private volatile int status;
  private volatile String answer;
  private S3Endpoint endpoint;

  @Before
  public void start() throws Exception {
    System.setProperty("aws.accessKeyId", "AKIDCALLTEST");
    System.setProperty("aws.secretAccessKey", "the-secret-of-the-call-test");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      received.put("method", exchange.getRequestMethod());
      received.put("path", exchange.getRequestURI().getRawPath());
      exchange.getRequestHeaders().forEach((k, v) -> received.put(k.toLowerCase(), String.join(" | ", v)));
      byte[] body = answer.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    endpoint = new S3Endpoint("http://127.0.0.1:" + server.getAddress().getPort(), "eu-west-1", true, null);
  }

  @After
  public void stop() {
    server.stop(0);
  }

  @Test
  public void aCopyIsOneSignedPutPinnedToTheListedEtag() {
    status = 200;
    answer = "<?xml version=\"1.0\"?><CopyObjectResult><LastModified>2026-12-01T00:00:00Z</LastModified>"
        + "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>";
    String etag = CopyObjectCall.copy(endpoint, "src", "in/a b+c%/한.txt", "dst", "out/a b+c%/한.txt", "abc",
        Map.of("x-amz-storage-class", "STANDARD_IA"));
    assertEquals("9b2cf535f27731c974343645a3985328", etag);
    assertEquals("PUT", received.get("method"));
    assertEquals("/dst/out/a%20b%2Bc%25/%ED%95%9C.txt", received.get("path"));
    assertEquals("/src/in/a%20b%2Bc%25/%ED%95%9C.txt", received.get("x-amz-copy-source"));
    assertEquals("\"abc\"", received.get("x-amz-copy-source-if-match"));
    assertEquals("COPY", received.get("x-amz-metadata-directive"));
    assertEquals("STANDARD_IA", received.get("x-amz-storage-class"));
    assertEquals("one Host header, the one signed", "127.0.0.1:" + server.getAddress().getPort(), received.get("host"));
    assertThat(received.get("authorization"), startsWith("AWS4-HMAC-SHA256 Credential=AKIDCALLTEST/"));
    assertThat(received.get("authorization"), containsString("/eu-west-1/s3/aws4_request"));
    assertThat(received.get("authorization"), containsString("x-amz-copy-source-if-match"));
    assertThat(received.toString(), not(containsString("the-secret-of-the-call-test")));
  }

  @Test
  public void errorsComeBackAsTheSdksOwnWithStatusAndCode() {
    status = 412;
    answer = "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions failed</Message></Error>";
    S3Exception changed = assertThrows(S3Exception.class, () -> copyOne());
    assertEquals(412, changed.statusCode());
    assertEquals(true, S3Errors.isPreconditionFailed(changed));
    assertThat(S3Errors.describe("copying k", endpoint, changed), containsString("HTTP 412 PreconditionFailed"));

    // A long copy that fails after its 200: a server error, retried like any other.
    status = 200;
    answer = "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>";
    S3Exception late = assertThrows(S3Exception.class, () -> copyOne());
    assertEquals(500, late.statusCode());
    assertEquals("InternalError", late.awsErrorDetails().errorCode());

    status = 403;
    answer = "";
    assertEquals("HTTP403", assertThrows(S3Exception.class, () -> copyOne()).awsErrorDetails().errorCode());
  }

  @Test
  public void keysWithDotSegmentsAndDoubleSlashesAreSentAsTheyAre() {
    status = 200;
    answer = "<CopyObjectResult><ETag>\"e2\"</ETag></CopyObjectResult>";
    for (String key : new String[] {"dots/../up", "dot/./x", "double//slash", "trailing/.", "../escape"}) {
      assertEquals("e2", CopyObjectCall.copy(endpoint, "src", key, "dst", key, "e", Map.of()));
      assertEquals(key, "/dst/" + key, received.get("path"));
      assertEquals(key, "/src/" + key, received.get("x-amz-copy-source"));
    }
  }

  private String copyOne() {
    return CopyObjectCall.copy(endpoint, "src", "k", "dst", "k", "e", Map.of());
  }
}
