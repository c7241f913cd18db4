package io.replicator.s3;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A server on loopback that answers each request as the test scripts it and keeps every request
 * it saw, for the tests of the plain S3 requests.
 */
final class ScriptedServer implements AutoCloseable {
  /** One request as the server saw it: path and query as sent, headers by lower-case name. */
  record Seen(String method, String target, Map<String, String> headers, String body) {}

  /** An answer: its status, body and any further headers. */
  record Answer(int status, String body, Map<String, String> headers) {
    Answer(int status, String body) {
      this(status, body, Map.of());
    }
  }

  /** Every request so far, in the order they came. */
  final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final HttpServer server;
  private volatile Function<Seen, Answer> script = r -> new Answer(500, "");

  private ScriptedServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      Map<String, String> headers = new TreeMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(" | ", v)));
      String query = exchange.getRequestURI().getRawQuery();
      Seen request = new Seen(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath()
          + (query == null ? "" : "?" + query), headers,
          new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      seen.add(request);
      Answer answer = script.apply(request);
      answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
      boolean noBody = body.length == 0 || answer.status() == 204 || request.method().equals("HEAD");
      exchange.sendResponseHeaders(answer.status(), noBody ? -1 : body.length);
      if (!noBody) {
        exchange.getResponseBody().write(body);
      }
      exchange.close();
    });
    server.start();
  }

  /** Started, answering 500 until {@link #answer} says otherwise. */
  static ScriptedServer start() throws IOException {
    return new ScriptedServer();
  }

  /** Answers the requests from now on with {@code script}. */
  void answer(Function<Seen, Answer> script) {
    this.script = script;
  }

  /** The last request seen. */
  Seen last() {
    return seen.get(seen.size() - 1);
  }

  /** This server as a path-style endpoint in {@code region}. */
  S3Endpoint endpoint(String region) {
    return new S3Endpoint("http://127.0.0.1:" + port(), region, true, null);
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
