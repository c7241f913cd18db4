package io.replicator.s3;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.replicator.s3.ScriptedServer.Answer;
import io.replicator.s3.ScriptedServer.Seen;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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

  private ScriptedServer server;
  private S3Endpoint endpoint;

  @Before
  public void start() throws Exception {
    System.setProperty("aws.accessKeyId", "AKIDPARTTEST");
    System.setProperty("aws.secretAccessKey", "the-secret-of-the-part-test");
    server = ScriptedServer.start();
    endpoint = server.endpoint("eu-west-1");
  }

  @After
  public void stop() {
    server.close();
  }

  /** A well-behaved S3 for one upload, {@code parts} answers of 503 SlowDown first for part 2. */
  private static Answer s3(Seen r, AtomicInteger slowParts) {
    String t = r.target();
    return switch (r.method()) {
      case "HEAD" -> new Answer(200, "", Map.of("Content-Type", "application/x-big", "Cache-Control", "max-age=60",
          "X-Amz-Meta-Kept", "yes", "ETag", "\"abc-2\"", "x-amz-request-id", "not metadata"));
      case "GET" -> new Answer(200, "<?xml version=\"1.0\"?><Tagging><TagSet><Tag><Key>team</Key><Value>a&amp;b c"
          + "</Value></Tag><Tag><Key>note</Key><Value>한</Value></Tag></TagSet></Tagging>");
      case "POST" -> t.contains("?uploads=")
          ? new Answer(200, "<InitiateMultipartUploadResult><Bucket>dst</Bucket><Key>k</Key>"
              + "<UploadId>up/1+2=</UploadId></InitiateMultipartUploadResult>")
          : new Answer(200, "<CompleteMultipartUploadResult><ETag>&quot;final-3&quot;</ETag>"
              + "</CompleteMultipartUploadResult>");
      case "PUT" -> t.contains("partNumber=2&") && slowParts.getAndDecrement() > 0
          ? new Answer(503, "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>")
          : t.contains("partNumber=3&") // as S3Proxy answers
              ? new Answer(200, "<CopyObjectResult><ETag>\"part3\"</ETag></CopyObjectResult>")
              : new Answer(200, "<CopyPartResult><ETag>\"part" + t.charAt(t.indexOf("partNumber=") + 11) + "\"</ETag>"
                  + "</CopyPartResult>");
      case "DELETE" -> new Answer(204, "");
      default -> new Answer(405, "");
    };
  }

  @Test
  public void eachRequestCarriesWhatTheCopyNeedsAndTheUploadTakesTheSourcesMetadataAndTags() {
    AtomicInteger slow = new AtomicInteger(1);
    server.answer(r -> s3(r, slow));
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

    List<String> requests = server.seen.stream().map(s -> s.method() + " " + s.target()).toList();
    assertEquals(List.of("HEAD /src/in/a%20b%2Bc.bin", "GET /src/in/a%20b%2Bc.bin?tagging=",
        "POST /dst/out/a%20b%2Bc.bin?uploads=",
        "PUT /dst/out/a%20b%2Bc.bin?partNumber=1&uploadId=up%2F1%2B2%3D",
        "PUT /dst/out/a%20b%2Bc.bin?partNumber=2&uploadId=up%2F1%2B2%3D",
        "PUT /dst/out/a%20b%2Bc.bin?partNumber=2&uploadId=up%2F1%2B2%3D",
        "PUT /dst/out/a%20b%2Bc.bin?partNumber=3&uploadId=up%2F1%2B2%3D",
        "POST /dst/out/a%20b%2Bc.bin?uploadId=up%2F1%2B2%3D"), requests);
    assertEquals("\"abc-2\"", server.seen.get(0).headers().get("if-match"));
    Map<String, String> create = server.seen.get(2).headers();
    assertEquals("application/x-big", create.get("content-type"));
    assertEquals("max-age=60", create.get("cache-control"));
    assertEquals("yes", create.get("x-amz-meta-kept"));
    assertEquals("team=a%26b+c&note=%ED%95%9C", create.get("x-amz-tagging"));
    assertEquals(null, create.get("x-amz-request-id"));
    Map<String, String> second = server.seen.get(5).headers();
    assertEquals("/src/in/a%20b%2Bc.bin", second.get("x-amz-copy-source"));
    assertEquals("\"abc-2\"", second.get("x-amz-copy-source-if-match"));
    assertEquals("bytes=10-19", second.get("x-amz-copy-source-range"));
    assertEquals("one signature, not one per try", 1, second.get("authorization").split(" \\| ").length);
    Seen complete = server.seen.get(7);
    assertEquals("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        + "<Part><ETag>&quot;part1&quot;</ETag><PartNumber>1</PartNumber></Part>"
        + "<Part><ETag>&quot;part2&quot;</ETag><PartNumber>2</PartNumber></Part>"
        + "<Part><ETag>&quot;part3&quot;</ETag><PartNumber>3</PartNumber></Part></CompleteMultipartUpload>",
        complete.body());
    assertEquals("the body is signed", SigV4.payloadHash(complete.body().getBytes(StandardCharsets.UTF_8)),
        complete.headers().get("x-amz-content-sha256"));
    assertThat(server.seen.toString(), not(containsString("the-secret-of-the-part-test")));
  }

  @Test
  public void aCompletionThatFailsAfterItsOkIsTriedAgainAndAnUnreadableAnswerIsNamed() {
    AtomicInteger failures = new AtomicInteger(1);
    server.answer(r -> failures.getAndDecrement() > 0
        ? new Answer(200, "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>")
        : new Answer(200, "<CompleteMultipartUploadResult><ETag>\"done-1\"</ETag></CompleteMultipartUploadResult>"));
    assertEquals("done-1", MultipartCopyCall.complete(endpoint, "dst", "k", "u", List.of("p1")));
    assertEquals(2, server.seen.size());

    server.answer(r -> new Answer(200, "<InitiateMultipartUploadResult><Bucket>dst</Bucket></InitiateMultipartUploadResult>"));
    server.seen.clear();
    var missing = assertThrows(software.amazon.awssdk.core.exception.SdkClientException.class,
        () -> MultipartCopyCall.create(endpoint, "dst", "k", Map.of()));
    assertEquals("tried six times, as any answer that is not the one asked for", 6, server.seen.size());
    assertThat(S3Errors.describe("copying k", endpoint, missing),
        containsString("failed: the CreateMultipartUpload answer has no UploadId under its InitiateMultipartUploadResult"));
  }

  @Test
  public void aSourceWithoutTagsOrOnAServerWithoutTaggingGivesNone() {
    server.answer(r -> new Answer(200, "<Tagging><TagSet/></Tagging>"));
    assertEquals("", MultipartCopyCall.tagging(endpoint, "src", "k"));
    server.answer(r -> new Answer(501, "<Error><Code>NotImplemented</Code></Error>"));
    assertEquals("", MultipartCopyCall.tagging(endpoint, "src", "k"));
    server.answer(r -> new Answer(403, "<Error><Code>AccessDenied</Code></Error>"));
    assertEquals(403, assertThrows(S3Exception.class, () -> MultipartCopyCall.tagging(endpoint, "src", "k")).statusCode());
  }

  @Test
  public void aPartThatFindsTheSourceChangedFailsTheCopyAndTheUploadIsAborted() {
    AtomicInteger none = new AtomicInteger();
    server.answer(r -> r.method().equals("PUT") && r.target().contains("partNumber=3&")
        ? new Answer(412, "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you"
            + " specified did not hold</Message></Error>")
        : s3(r, none));
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
    List<String> requests = server.seen.stream().map(s -> s.method() + " " + s.target()).toList();
    assertEquals("three parts of 5 MB, then the abort; nothing completed", List.of(
        "DELETE /dst/out/big.bin?uploadId=up%2F1%2B2%3D"), requests.subList(requests.size() - 1, requests.size()));
    assertEquals(0, requests.stream().filter(r -> r.startsWith("POST") && r.contains("?uploadId=")).count());
    assertEquals(3, requests.stream().filter(r -> r.startsWith("PUT")).count());
  }
}
