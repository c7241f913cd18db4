package io.replicator.s3;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The requests of a server-side copy in parts, and how their answers are read, against a scripted server on loopback. */
public class MultipartCopyCallTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  /** One request as the server saw it. */
  record Seen(String method, String target, Map<String, String> headers, String body) {}

  private static final List<Seen> SEEN = new CopyOnWriteArrayList<>();
  /** The answer to a request: status, then body; the scripted server's only state. */
  private static volatile Function<Seen, Object[]> script;
  private HttpServer server;
  private S3Endpoint endpoint;

  @Before
  public void start() throws Exception {
    System.setProperty("aws.accessKeyId", "AKIDPARTTEST");
    System.setProperty("aws.secretAccessKey", "the-secret-of-the-part-test");
    SEEN.clear();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      Map<String, String> headers = new TreeMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(" | ", v)));
      Seen seen = new Seen(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath()
          + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()),
          headers, new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      SEEN.add(seen);
      Object[] answer = script.apply(seen);
      if (answer.length > 2) {
        @SuppressWarnings("unchecked")
        Map<String, String> extra = (Map<String, String>) answer[2];
        extra.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      }
      byte[] body = ((String) answer[1]).getBytes(StandardCharsets.UTF_8);
      int status = (int) answer[0];
      boolean noBody = body.length == 0 || status == 204 || seen.method().equals("HEAD");
      exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
      if (!noBody) {
        exchange.getResponseBody().write(body);
      }
      exchange.close();
    });
    server.start();
    endpoint = new S3Endpoint("http://127.0.0.1:" + server.getAddress().getPort(), "eu-west-1", true, null);
  }

  @After
  public void stop() {
    server.stop(0);
  }

  /** A well-behaved S3 for one upload, {@code parts} answers of 503 SlowDown first for part 2. */
  private static Object[] s3(Seen r, AtomicInteger slowParts) {
    String t = r.target();
    return switch (r.method()) {
      case "HEAD" -> new Object[] {200, "", Map.of("Content-Type", "application/x-big", "Cache-Control", "max-age=60",
          "X-Amz-Meta-Kept", "yes", "ETag", "\"abc-2\"", "x-amz-request-id", "not metadata")};
      case "GET" -> new Object[] {200, "<?xml version=\"1.0\"?><Tagging><TagSet><Tag><Key>team</Key><Value>a&amp;b c"
          + "</Value></Tag><Tag><Key>note</Key><Value>한</Value></Tag></TagSet></Tagging>"};
      case "POST" -> t.contains("?uploads=")
          ? new Object[] {200, "<InitiateMultipartUploadResult><Bucket>dst</Bucket><Key>k</Key>"
              + "<UploadId>up/1+2=</UploadId></InitiateMultipartUploadResult>"}
          : new Object[] {200, "<CompleteMultipartUploadResult><ETag>&quot;final-3&quot;</ETag>"
              + "</CompleteMultipartUploadResult>"};
      case "PUT" -> t.contains("partNumber=2&") && slowParts.getAndDecrement() > 0
          ? new Object[] {503, "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"}
          : t.contains("partNumber=3&") // as S3Proxy answers
              ? new Object[] {200, "<CopyObjectResult><ETag>\"part3\"</ETag></CopyObjectResult>"}
              : new Object[] {200, "<CopyPartResult><ETag>\"part" + t.charAt(t.indexOf("partNumber=") + 11) + "\"</ETag>"
                  + "</CopyPartResult>"};
      case "DELETE" -> new Object[] {204, ""};
      default -> new Object[] {405, ""};
    };
  }

  @Test
  public void eachRequestCarriesWhatTheCopyNeedsAndTheUploadTakesTheSourcesMetadataAndTags() {
    AtomicInteger slow = new AtomicInteger(1);
    script = r -> s3(r, slow);
    Map<String, String> headers = MultipartCopyCall.metadata(endpoint, "src", "in/a b+c.bin", "abc-2");
    assertEquals(Map.of("content-type", "application/x-big", "cache-control", "max-age=60", "x-amz-meta-kept", "yes"),
        headers);
    String tagging = MultipartCopyCall.tagging(endpoint, "src", "in/a b+c.bin");
    assertEquals("team=a%26b+c&note=%ED%95%9C", tagging);
    headers.put("x-amz-tagging", tagging);
    String upload = MultipartCopyCall.create(endpoint, "dst", "out/a b+c.bin", headers);
    assertEquals("up/1+2=", upload);
    List<String> parts = new ArrayList<>();
    for (int part = 1; part <= 3; part++) {
      parts.add(MultipartCopyCall.copyPart(endpoint, "src", "in/a b+c.bin", "abc-2", "dst", "out/a b+c.bin", upload,
          part, (part - 1) * 10L, part * 10L - 1));
    }
    assertEquals(List.of("part1", "part2", "part3"), parts);
    assertEquals("final-3", MultipartCopyCall.complete(endpoint, "dst", "out/a b+c.bin", upload, parts));

    List<String> requests = SEEN.stream().map(s -> s.method() + " " + s.target()).toList();
    assertEquals(List.of("HEAD /src/in/a%20b%2Bc.bin", "GET /src/in/a%20b%2Bc.bin?tagging=",
        "POST /dst/out/a%20b%2Bc.bin?uploads=",
        "PUT /dst/out/a%20b%2Bc.bin?partNumber=1&uploadId=up%2F1%2B2%3D",
        "PUT /dst/out/a%20b%2Bc.bin?partNumber=2&uploadId=up%2F1%2B2%3D",
        "PUT /dst/out/a%20b%2Bc.bin?partNumber=2&uploadId=up%2F1%2B2%3D",
        "PUT /dst/out/a%20b%2Bc.bin?partNumber=3&uploadId=up%2F1%2B2%3D",
        "POST /dst/out/a%20b%2Bc.bin?uploadId=up%2F1%2B2%3D"), requests);
    assertEquals("\"abc-2\"", SEEN.get(0).headers().get("if-match"));
    Map<String, String> create = SEEN.get(2).headers();
    assertEquals("application/x-big", create.get("content-type"));
    assertEquals("max-age=60", create.get("cache-control"));
    assertEquals("yes", create.get("x-amz-meta-kept"));
    assertEquals("team=a%26b+c&note=%ED%95%9C", create.get("x-amz-tagging"));
    assertEquals(null, create.get("x-amz-request-id"));
    Map<String, String> second = SEEN.get(5).headers();
    assertEquals("/src/in/a%20b%2Bc.bin", second.get("x-amz-copy-source"));
    assertEquals("\"abc-2\"", second.get("x-amz-copy-source-if-match"));
    assertEquals("bytes=10-19", second.get("x-amz-copy-source-range"));
    assertEquals("one signature, not one per try", 1, second.get("authorization").split(" \\| ").length);
    Seen complete = SEEN.get(7);
    assertEquals("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        + "<Part><ETag>&quot;part1&quot;</ETag><PartNumber>1</PartNumber></Part>"
        + "<Part><ETag>&quot;part2&quot;</ETag><PartNumber>2</PartNumber></Part>"
        + "<Part><ETag>&quot;part3&quot;</ETag><PartNumber>3</PartNumber></Part></CompleteMultipartUpload>",
        complete.body());
    assertEquals("the body is signed", SigV4.payloadHash(complete.body().getBytes(StandardCharsets.UTF_8)),
        complete.headers().get("x-amz-content-sha256"));
    assertThat(SEEN.toString(), not(containsString("the-secret-of-the-part-test")));
  }

  @Test
  public void aCompletionThatFailsAfterItsOkIsTriedAgainAndAnUnreadableAnswerIsNamed() {
    AtomicInteger failures = new AtomicInteger(1);
    script = r -> failures.getAndDecrement() > 0
        ? new Object[] {200, "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"}
        : new Object[] {200, "<CompleteMultipartUploadResult><ETag>\"done-1\"</ETag></CompleteMultipartUploadResult>"};
    assertEquals("done-1", MultipartCopyCall.complete(endpoint, "dst", "k", "u", List.of("p1")));
    assertEquals(2, SEEN.size());

    script = r -> new Object[] {200, "<InitiateMultipartUploadResult><Bucket>dst</Bucket></InitiateMultipartUploadResult>"};
    SEEN.clear();
    var missing = assertThrows(software.amazon.awssdk.core.exception.SdkClientException.class,
        () -> MultipartCopyCall.create(endpoint, "dst", "k", Map.of()));
    assertEquals("tried six times, as any answer that is not the one asked for", 6, SEEN.size());
    assertThat(S3Errors.describe("copying k", endpoint, missing),
        containsString("failed: the CreateMultipartUpload answer has no UploadId under its InitiateMultipartUploadResult"));
  }

  @Test
  public void aSourceWithoutTagsOrOnAServerWithoutTaggingGivesNone() {
    script = r -> new Object[] {200, "<Tagging><TagSet/></Tagging>"};
    assertEquals("", MultipartCopyCall.tagging(endpoint, "src", "k"));
    script = r -> new Object[] {501, "<Error><Code>NotImplemented</Code></Error>"};
    assertEquals("", MultipartCopyCall.tagging(endpoint, "src", "k"));
    script = r -> new Object[] {403, "<Error><Code>AccessDenied</Code></Error>"};
    assertEquals(403, assertThrows(S3Exception.class, () -> MultipartCopyCall.tagging(endpoint, "src", "k")).statusCode());
  }

  @Test
  public void aPartThatFindsTheSourceChangedFailsTheCopyAndTheUploadIsAborted() {
    AtomicInteger none = new AtomicInteger();
    script = r -> r.method().equals("PUT") && r.target().contains("partNumber=3&")
        ? new Object[] {412, "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you"
            + " specified did not hold</Message></Error>"}
        : s3(r, none);
    S3Location source = new S3Location("src", "in/");
    S3Location target = new S3Location("dst", "out/");
    ObjectInfo big = new ObjectInfo("big.bin", 12L << 20, "abc-2", 1, "STANDARD");
    PCollection<SyncResult> results = p
        .apply(Create.of(new SyncAction("big.bin", SyncAction.Kind.COPY, "missing at the target", big, null))
            .withCoder(SyncAction.coder()))
        .apply(CopyObjects.between(endpoint, source, endpoint, target,
            new CopySettings(5L << 20, 5L << 20, null, null, null, null, false, 4)));
    PAssert.that(results.apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.action() + ": " + r.reason())))
        .containsInAnyOrder("failed: the source object changed since it was listed (run again to copy its new version)");
    p.run();
    List<String> requests = SEEN.stream().map(s -> s.method() + " " + s.target()).toList();
    assertEquals("three parts of 5 MB, then the abort; nothing completed", List.of(
        "DELETE /dst/out/big.bin?uploadId=up%2F1%2B2%3D"), requests.subList(requests.size() - 1, requests.size()));
    assertEquals(0, requests.stream().filter(r -> r.startsWith("POST") && r.contains("?uploadId=")).count());
    assertEquals(3, requests.stream().filter(r -> r.startsWith("PUT")).count());
  }
}
