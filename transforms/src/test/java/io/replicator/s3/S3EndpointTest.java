package io.replicator.s3;

import static org.junit.Assert.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

public class S3EndpointTest {
  @Test
  public void initializingTheClientClassesMakesARequestAndSendsNothing() throws Exception {
    AtomicInteger received = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      received.incrementAndGet();
      exchange.sendResponseHeaders(500, -1);
      exchange.close();
    });
    server.start();
    try {
      // Returns normally only when the request was stopped before it was sent: sent, the server's
      // 500 (or, without the server, a refused connection) would come back as the SDK's exception.
      S3Endpoint.initializeClientClasses(URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
      S3Endpoint.initializeClientClasses();
    } finally {
      server.stop(0);
    }
    assertEquals("requests the server received", 0, received.get());
  }
}
