package io.replicator.s3;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The requests a CopyObject sends and how its answers are read, against a scripted server on loopback. */
public class CopyObjectCallTest {
  private ScriptedServer server;
  private S3Endpoint endpoint;

  @Before
  public void start() throws Exception {
    System.setProperty("aws.accessKeyId", "AKIDCALLTEST");
    System.setProperty("aws.secretAccessKey", "the-secret-of-the-call-test");
    server = ScriptedServer.start();
    endpoint = server.endpoint("eu-west-1");
  }

  @After
  public void stop() {
    server.close();
  }

  private void answer(int status, String body) {
    server.answer(r -> new ScriptedServer.Answer(status, body));
  }

  /** A header of the last request, by lower-case name. */
  private String sent(String header) {
    return server.last().headers().get(header);
  }

  @Test
  public void aCopyIsOneSignedPutPinnedToTheListedEtag() {
    answer(200, "<?xml version=\"1.0\"?><CopyObjectResult><LastModified>2026-12-01T00:00:00Z</LastModified>"
        + "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>");
    String etag = CopyObjectCall.copy(endpoint, "src", "in/a b+c%/한.txt", "dst", "out/a b+c%/한.txt", "abc",
        Map.of("x-amz-storage-class", "STANDARD_IA"));
    assertEquals("9b2cf535f27731c974343645a3985328", etag);
    assertEquals("PUT", server.last().method());
    assertEquals("/dst/out/a%20b%2Bc%25/%ED%95%9C.txt", server.last().target());
    assertEquals("/src/in/a%20b%2Bc%25/%ED%95%9C.txt", sent("x-amz-copy-source"));
    assertEquals("\"abc\"", sent("x-amz-copy-source-if-match"));
    assertEquals("COPY", sent("x-amz-metadata-directive"));
    assertEquals("STANDARD_IA", sent("x-amz-storage-class"));
    assertEquals("one Host header, the one signed", "127.0.0.1:" + server.port(), sent("host"));
    assertThat(sent("authorization"), startsWith("AWS4-HMAC-SHA256 Credential=AKIDCALLTEST/"));
    assertThat(sent("authorization"), containsString("/eu-west-1/s3/aws4_request"));
    assertThat(sent("authorization"), containsString("x-amz-copy-source-if-match"));
    assertThat(server.last().toString(), not(containsString("the-secret-of-the-call-test")));
  }

  @Test
  public void errorsComeBackAsTheSdksOwnWithStatusAndCode() {
    answer(412, "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions failed</Message></Error>");
    S3Exception changed = assertThrows(S3Exception.class, () -> copyOne());
    assertEquals(412, changed.statusCode());
    assertEquals(true, S3Errors.isPreconditionFailed(changed));
    assertThat(S3Errors.describe("copying k", endpoint, changed), containsString("HTTP 412 PreconditionFailed"));

    // A long copy that fails after its 200: a server error, retried like any other.
    answer(200, "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>");
    S3Exception late = assertThrows(S3Exception.class, () -> copyOne());
    assertEquals(500, late.statusCode());
    assertEquals("InternalError", late.awsErrorDetails().errorCode());

    answer(403, "");
    assertEquals("HTTP403", assertThrows(S3Exception.class, () -> copyOne()).awsErrorDetails().errorCode());
  }

  @Test
  public void keysWithDotSegmentsAndDoubleSlashesAreSentAsTheyAre() {
    answer(200, "<CopyObjectResult><ETag>\"e2\"</ETag></CopyObjectResult>");
    for (String key : new String[] {"dots/../up", "dot/./x", "double//slash", "trailing/.", "../escape"}) {
      assertEquals("e2", CopyObjectCall.copy(endpoint, "src", key, "dst", key, "e", Map.of()));
      assertEquals(key, "/dst/" + key, server.last().target());
      assertEquals(key, "/src/" + key, sent("x-amz-copy-source"));
    }
  }

  private String copyOne() {
    return CopyObjectCall.copy(endpoint, "src", "k", "dst", "k", "e", Map.of());
  }
}
