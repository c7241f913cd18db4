package io.replicator.s3;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.Test;
import software.amazon.awssdk.core.exception.SdkClientException;

/** The URLs the plain requests go to, and how keys and query values are encoded in them. */
public class S3HttpTest {
  @Test
  public void awsBucketsAreVirtualHostedUnlessTheirNameHasDots() {
    S3Endpoint aws = new S3Endpoint(null, "eu-central-1", false, null);
    assertEquals("https://my-bucket.s3.eu-central-1.amazonaws.com/a%20b",
        S3Http.uri(aws, "my-bucket", S3Http.encodePath("a b"), "").toString());
    assertEquals("https://s3.eu-central-1.amazonaws.com/my.bucket/k", S3Http.uri(aws, "my.bucket", "k", "").toString());
    assertEquals("http://localhost:9000/b/k",
        S3Http.uri(new S3Endpoint("http://localhost:9000/", null, true, null), "b", "k", "").toString());
    assertEquals("http://b.localhost:9000/k",
        S3Http.uri(new S3Endpoint("http://localhost:9000", null, false, null), "b", "k", "").toString());
  }

  @Test
  public void aListingIsAskedOfTheBucketItself() {
    assertEquals("https://my-bucket.s3.eu-central-1.amazonaws.com/?list-type=2",
        S3Http.uri(new S3Endpoint(null, "eu-central-1", false, null), "my-bucket", "", "list-type=2").toString());
    assertEquals("http://localhost:9000/b?list-type=2",
        S3Http.uri(new S3Endpoint("http://localhost:9000", null, true, null), "b", "", "list-type=2").toString());
  }

  @Test
  public void throttlingServerErrorsAndFailedExchangesAreRetriedAndNothingElse() {
    assertTrue(S3Http.retryable(S3Http.error(503, "<Error><Code>SlowDown</Code></Error>")));
    assertTrue(S3Http.retryable(S3Http.error(429, "")));
    assertTrue(S3Http.retryable(S3Http.error(500, "<Error><Code>InternalError</Code></Error>")));
    assertTrue(S3Http.retryable(SdkClientException.create("ListObjectsV2 at h: reset", new SocketException("reset"))));
    assertFalse(S3Http.retryable(S3Http.error(501, "<Error><Code>NotImplemented</Code></Error>")));
    assertFalse(S3Http.retryable(S3Http.error(403, "<Error><Code>AccessDenied</Code></Error>")));
    assertFalse(S3Http.retryable(S3Http.error(404, "<Error><Code>NoSuchBucket</Code></Error>")));
    assertFalse(S3Http.retryable(SdkClientException.create("Unable to load credentials from any of the providers")));
  }

  @Test
  public void requestsGoThroughTheProxyTheJvmIsGiven() throws Exception {
    List<String> proxied = new CopyOnWriteArrayList<>();
    HttpServer proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    proxy.createContext("/", exchange -> {
      proxied.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
      byte[] body = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    proxy.start();
    System.setProperty("aws.accessKeyId", "AKIDPROXYTEST");
    System.setProperty("aws.secretAccessKey", "the-secret-of-the-proxy-test");
    System.setProperty("http.proxyHost", "127.0.0.1");
    System.setProperty("http.proxyPort", Integer.toString(proxy.getAddress().getPort()));
    System.setProperty("http.nonProxyHosts", "");
    try {
      // A host that resolves nowhere: only the proxy can answer.
      S3Endpoint behindProxy = new S3Endpoint("http://s3.behind-the-proxy.invalid:9000", null, true, null);
      ListObjects.probe(behindProxy, new S3Location("b", "in/"));
      ListObjects.probe(behindProxy, new S3Location("b", "out/"));
      assertEquals(List.of("GET http://s3.behind-the-proxy.invalid:9000/b?encoding-type=url&list-type=2&max-keys=1&prefix=in%2F",
          "GET http://s3.behind-the-proxy.invalid:9000/b?encoding-type=url&list-type=2&max-keys=1&prefix=out%2F"), proxied);
    } finally {
      System.clearProperty("http.proxyHost");
      System.clearProperty("http.proxyPort");
      System.clearProperty("http.nonProxyHosts");
      proxy.stop(0);
    }
  }

  @Test
  public void aPathKeepsItsSlashesAndAQueryValueDoesNot() {
    assertEquals("in/a%20b%2Bc%25/%ED%95%9C~._-.txt", S3Http.encodePath("in/a b+c%/한~._-.txt"));
    assertEquals("in%2Fa%20b%2Bc%25%2F%ED%95%9C%3D%26", S3Http.encodeQuery("in/a b+c%/한=&"));
  }
}
