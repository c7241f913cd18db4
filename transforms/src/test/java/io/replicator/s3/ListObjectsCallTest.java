package io.replicator.s3;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import com.sun.net.httpserver.HttpServer;
import io.replicator.testing.S3ProxyServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** ListObjectsV2 pages as plain requests: what is read from an answer, what is asked, what is retried. */
public class ListObjectsCallTest {
  @Test
  public void aPageIsReadWithItsKeysDecodedAndItsNextToken() throws IOException {
    ListObjectsCall.Page page = ListObjectsCall.parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        + "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>in%2F</Prefix>"
        + "<EncodingType>url</EncodingType><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
        + "<NextContinuationToken>1/a+b=</NextContinuationToken>"
        + "<Contents><Key>in/a+b%2Bc%25</Key><LastModified>2026-12-04T10:00:01.500Z</LastModified>"
        + "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>12</Size><StorageClass>GLACIER</StorageClass></Contents>"
        + "<Contents><Key>in/%ED%95%9C%01select</Key><LastModified>2026-12-04T10:00:02Z</LastModified>"
        + "<ETag>\"abc-2\"</ETag><Size>0</Size></Contents>"
        + "<CommonPrefixes><Prefix>in/sub+dir%2F/</Prefix></CommonPrefixes>"
        + "</ListBucketResult>");
    assertEquals(List.of(
        new ObjectInfo("in/a b+c%", 12, "9b2cf535f27731c974343645a3985328", 1_796_378_401_500L, "GLACIER"),
        new ObjectInfo("in/한\u0001select", 0, "abc-2", 1_796_378_402_000L, "STANDARD")), page.objects());
    assertEquals(List.of("in/sub dir//"), page.prefixes());
    assertEquals("the token as given, not decoded", "1/a+b=", page.nextToken());
  }

  @Test
  public void keysAreTakenAsTheyAreWhenTheServerDidNotEncodeThem() throws IOException {
    ListObjectsCall.Page page = ListObjectsCall.parse("<ListBucketResult><IsTruncated>false</IsTruncated>"
        + "<Contents><Key>a+b%2B</Key><LastModified>2026-12-04T10:00:00Z</LastModified><ETag>e</ETag><Size>1</Size>"
        + "</Contents><NextContinuationToken>ignored when not truncated</NextContinuationToken></ListBucketResult>");
    assertEquals("a+b%2B", page.objects().get(0).key());
    assertNull(page.nextToken());
  }

  @Test
  public void timesAreReadAsTheJdkReadsThem() {
    for (String t : List.of("2026-12-04T10:00:01.500Z", "2026-12-04T10:00:01Z", "1970-01-01T00:00:00.000Z",
        "2024-02-29T23:59:59.999Z", "2026-12-04T10:00:01.5Z", "2026-12-04T10:00:01.123456Z", "2026-12-04T12:00:01+02:00")) {
      assertEquals(t, Instant.parse(t.endsWith("+02:00") ? "2026-12-04T10:00:01Z" : t).toEpochMilli(),
          ListObjectsCall.epochMilli(t));
    }
    for (String t : List.of("2026-13-04T10:00:01.500Z", "2026-12-04T24:00:01Z", "2026-02-30T10:00:01Z",
        "2026-12-04T1a:00:01Z", "yesterday")) {
      assertThrows(t, DateTimeException.class, () -> ListObjectsCall.epochMilli(t));
    }
  }

  @Test
  public void anAnswerThatIsNotACompleteListingIsRefused() {
    for (String body : List.of(
        "<Error><Code>InternalError</Code></Error>",
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>1</Size>",
        "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size>1 KB</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size>1</Size><LastModified>today</LastModified></Contents>"
            + "</ListBucketResult>",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><ListBucketResult><Contents><Key>&e;</Key>"
            + "<Size>1</Size></Contents></ListBucketResult>")) {
      assertThrows(body, IOException.class, () -> ListObjectsCall.parse(body));
    }
  }

  @Test
  public void aPageIsOneSignedGetWithItsQueryInCanonicalFormAndServerErrorsAreRetried() throws Exception {
    System.setProperty("aws.accessKeyId", "AKIDLISTTEST");
    System.setProperty("aws.secretAccessKey", "the-secret-of-the-list-test");
    List<String> requests = new CopyOnWriteArrayList<>();
    AtomicInteger failuresLeft = new AtomicInteger(2);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath() + "?"
          + exchange.getRequestURI().getRawQuery() + " " + exchange.getRequestHeaders().getFirst("Authorization"));
      boolean fail = failuresLeft.getAndDecrement() > 0;
      byte[] body = (fail ? "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
          : "<ListBucketResult><IsTruncated>false</IsTruncated><EncodingType>url</EncodingType>"
              + "<Contents><Key>in%2Fk+1</Key><LastModified>2026-12-04T10:00:00Z</LastModified><ETag>e</ETag>"
              + "<Size>3</Size></Contents></ListBucketResult>").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(fail ? 503 : 200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      S3Endpoint endpoint = new S3Endpoint("http://127.0.0.1:" + server.getAddress().getPort(), "eu-west-1", true, null);
      ListObjectsCall.Page page = ListObjectsCall.list(endpoint, "b", "in/a b+한", "/", "tok/en=", 1000);
      assertEquals(List.of(new ObjectInfo("in/k 1", 3, "e", 1_796_378_400_000L, "STANDARD")), page.objects());
      assertEquals("two 503s, then the page", 3, requests.size());
      assertThat(requests.get(2), containsString("GET /b?continuation-token=tok%2Fen%3D&delimiter=%2F"
          + "&encoding-type=url&list-type=2&max-keys=1000&prefix=in%2Fa%20b%2B%ED%95%9C AWS4-HMAC-SHA256 "
          + "Credential=AKIDLISTTEST/"));

      failuresLeft.set(100);
      requests.clear();
      S3Exception slow = assertThrows(S3Exception.class, () -> ListObjectsCall.list(endpoint, "b", "", null, null, 1));
      assertEquals(503, slow.statusCode());
      assertEquals("SlowDown", slow.awsErrorDetails().errorCode());
      assertEquals("tried six times, as the SDK client does", 6, requests.size());
      assertThat(S3Errors.describe("listing s3://b/", endpoint, slow), containsString("HTTP 503 SlowDown"));
    } finally {
      server.stop(0);
    }
  }

  @Test
  public void anAnswerThatIsNotAListingIsRetriedThenNamed() throws Exception {
    AtomicInteger received = new AtomicInteger();
    HttpServer server = answering(200, "<html><body>Captive portal: sign in</body></html>", received);
    try {
      S3Endpoint endpoint = new S3Endpoint("http://127.0.0.1:" + server.getAddress().getPort(), null, true, null);
      SdkClientException wrong = assertThrows(SdkClientException.class,
          () -> ListObjectsCall.list(endpoint, "b", "", null, null, 1));
      assertEquals("tried six times: a proxy or a server may answer so for a moment", 6, received.get());
      assertEquals("listing s3://b/ at " + endpoint.describe() + " failed: a ListObjectsV2 answer is a"
          + " ListBucketResult, not a html", S3Errors.describe("listing s3://b/", endpoint, wrong));
    } finally {
      server.stop(0);
    }
  }

  @Test
  public void aRefusedListingIsNotRetried() throws Exception {
    AtomicInteger received = new AtomicInteger();
    HttpServer server = answering(404,
        "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>", received);
    try {
      S3Endpoint endpoint = new S3Endpoint("http://127.0.0.1:" + server.getAddress().getPort(), null, true, null);
      S3Exception missing = assertThrows(S3Exception.class, () -> ListObjectsCall.list(endpoint, "nb", "", null, null, 1));
      assertEquals(404, missing.statusCode());
      assertEquals(1, received.get());
      assertThat(S3Errors.describe("listing", endpoint, missing), containsString("the bucket does not exist"));
    } finally {
      server.stop(0);
    }
  }

  /** A server on loopback giving every request the same answer, counting them; credentials for the requests set. */
  private static HttpServer answering(int status, String answer, AtomicInteger received) throws IOException {
    System.setProperty("aws.accessKeyId", "AKIDLISTTEST");
    System.setProperty("aws.secretAccessKey", "the-secret-of-the-list-test");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      received.incrementAndGet();
      byte[] body = answer.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    return server;
  }

  @Test
  public void aRealServerListsEveryKeyPageByPageAndByPrefix() throws Exception {
    try (S3ProxyServer server = S3ProxyServer.start("list-identity", "list-credential")) {
      S3Client client = server.client();
      client.createBucket(b -> b.bucket("listed"));
      List<String> keys = List.of("in/a b.txt", "in/a+b.txt", "in/100%.txt", "in/한국어/파일.txt", "in/sub/deeper/x",
          "in/~tilde=&?#", "in/ü", "out/not listed");
      for (String key : keys) {
        client.putObject(b -> b.bucket("listed").key(key), RequestBody.fromString(key));
      }
      S3Endpoint endpoint = server.asDefaultEndpoint();

      List<ObjectInfo> all = new ArrayList<>();
      String token = null;
      int pages = 0;
      do {
        ListObjectsCall.Page page = ListObjectsCall.list(endpoint, "listed", "in/", null, token, 2);
        all.addAll(page.objects());
        token = page.nextToken();
        pages++;
      } while (token != null);
      assertEquals(keys.stream().filter(k -> k.startsWith("in/")).sorted().collect(Collectors.toList()),
          all.stream().map(ObjectInfo::key).collect(Collectors.toList()));
      assertEquals(4, pages);
      for (ObjectInfo o : all) {
        assertEquals(o.key(), o.key().getBytes(StandardCharsets.UTF_8).length, o.size());
        assertEquals(client.headObject(b -> b.bucket("listed").key(o.key())).eTag().replace("\"", ""), o.etag());
      }

      ListObjectsCall.Page top = ListObjectsCall.list(endpoint, "listed", "in/", "/", null, 1000);
      assertEquals(List.of("in/sub/", "in/한국어/"), top.prefixes());
      assertEquals(5, top.objects().size());
    }
  }
}
