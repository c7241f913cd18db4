package io.replicator.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3-compatible server (S3Proxy, in-memory) on a free loopback port, run as a child process
 * from its self-contained jar so its libraries stay off the tests' classpath. Each instance is
 * its own endpoint with its own credentials.
 */
public final class S3ProxyServer implements AutoCloseable {
  private final ChildProcess process;
  private final int port;
  private final String identity;
  private final String credential;

  private S3ProxyServer(ChildProcess process, int port, String identity, String credential) {
    this.process = process;
    this.port = port;
    this.identity = identity;
    this.credential = credential;
  }

  /** Starts a server whose access key and secret are {@code identity} and {@code credential}. */
  public static S3ProxyServer start(String identity, String credential) throws IOException, InterruptedException {
    return start(identity, credential, false);
  }

  /**
   * Starts a server that also takes requests signed with a role session's credentials: S3Proxy
   * refuses the session token's header unless told to ignore headers it does not know, and then
   * checks the signature (the token is among the signed headers) but not the token itself.
   */
  public static S3ProxyServer startAcceptingSessions(String identity, String credential)
      throws IOException, InterruptedException {
    return start(identity, credential, true);
  }

  private static S3ProxyServer start(String identity, String credential, boolean sessions)
      throws IOException, InterruptedException {
    String jar = System.getProperty("s3proxy.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException("the S3Proxy jar is missing (" + jar + "); the build copies it to"
          + " target/s3proxy/s3proxy.jar in generate-test-resources");
    }
    int port = ChildProcess.freePort();
    Path dir = Files.createTempDirectory("s3proxy");
    Path props = dir.resolve("s3proxy.properties");
    Files.writeString(props, String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + identity,
        "s3proxy.credential=" + credential,
        "jclouds.provider=transient-nio2",
        "jclouds.identity=" + identity,
        "jclouds.credential=" + credential,
        "s3proxy.ignore-unknown-headers=" + sessions,
        ""), StandardCharsets.UTF_8);
    ChildProcess p = ChildProcess.startJava("S3Proxy", List.of("-DLOG_LEVEL=warn", "-jar", jar, "--properties",
        props.toString()), dir.resolve("log"), () -> ChildProcess.answersHttp("http://127.0.0.1:" + port, 0),
        Duration.ofSeconds(30));
    return new S3ProxyServer(p, port, identity, credential);
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public String identity() {
    return identity;
  }

  public String credential() {
    return credential;
  }

  /**
   * Makes this server's credentials the default chain's in this JVM (its system properties, which
   * every worker of the DirectRunner reads) and returns an endpoint that uses them, path-style.
   */
  public io.replicator.s3.S3Endpoint asDefaultEndpoint() {
    System.setProperty("aws.accessKeyId", identity);
    System.setProperty("aws.secretAccessKey", credential);
    return new io.replicator.s3.S3Endpoint(endpoint(), null, true, null);
  }

  /** A client of this server with its credentials, path-style. */
  public S3Client client() {
    return S3Client.builder().endpointOverride(URI.create(endpoint())).region(Region.US_EAST_1)
        .forcePathStyle(true).httpClientBuilder(ApacheHttpClient.builder())
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(identity, credential)))
        .build();
  }

  @Override
  public void close() {
    process.close();
  }
}
