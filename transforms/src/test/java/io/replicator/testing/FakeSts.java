package io.replicator.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An AWS STS endpoint on loopback that answers AssumeRole and AssumeRoleWithWebIdentity with the
 * credentials it is given (or with an error), and keeps every request it received: its form
 * parameters and its headers (names in lower case), for tests to check what a worker sends.
 */
public final class FakeSts implements AutoCloseable {
  private final HttpServer server;
  private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
  private volatile String accessKey;
  private volatile String secretKey;
  private volatile String sessionToken;
  private volatile long lifetimeSeconds = 3600;
  private volatile int errorStatus;
  private volatile String errorCode;

  private FakeSts() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      Map<String, String> request = new TreeMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> request.put(k.toLowerCase(), v.get(0)));
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      for (String pair : body.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          request.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
      requests.add(request);
      String action = request.getOrDefault("Action", "");
      int status = errorStatus == 0 ? 200 : errorStatus;
      String answer = errorStatus != 0
          ? "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>"
              + errorCode + "</Code><Message>Not authorized to perform sts:" + action + "</Message></Error>"
              + "<RequestId>fake</RequestId></ErrorResponse>"
          : "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action + "Result>"
              + "<Credentials><AccessKeyId>" + accessKey + "</AccessKeyId><SecretAccessKey>" + secretKey
              + "</SecretAccessKey><SessionToken>" + sessionToken + "</SessionToken><Expiration>"
              + Instant.now().plusSeconds(lifetimeSeconds) + "</Expiration></Credentials>"
              + "<AssumedRoleUser><Arn>" + request.get("RoleArn") + "/" + request.get("RoleSessionName") + "</Arn>"
              + "<AssumedRoleId>AROAFAKE:" + request.get("RoleSessionName") + "</AssumedRoleId></AssumedRoleUser>"
              + "</" + action + "Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></" + action
              + "Response>";
      byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/xml");
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
  }

  /** An STS that hands out these credentials, valid for an hour. */
  public static FakeSts issuing(String accessKey, String secretKey, String sessionToken) throws IOException {
    FakeSts sts = new FakeSts();
    sts.issue(accessKey, secretKey, sessionToken, 3600);
    return sts;
  }

  /** From now on, answers with these credentials, valid for {@code lifetimeSeconds}. */
  public void issue(String accessKey, String secretKey, String sessionToken, long lifetimeSeconds) {
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.sessionToken = sessionToken;
    this.lifetimeSeconds = lifetimeSeconds;
    this.errorStatus = 0;
  }

  /** From now on, refuses every request with this HTTP status and error code. */
  public void refuse(int status, String code) {
    this.errorStatus = status;
    this.errorCode = code;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The requests received so far, oldest first. */
  public List<Map<String, String>> requests() {
    return List.copyOf(requests);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
