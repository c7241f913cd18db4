package io.replicator.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3Mock as a child process, for what S3Proxy does not keep: object tags and storage classes. It
 * accepts any credentials. Its HTTP port listens on every interface, so it runs only for the
 * tests that need it and stops after them.
 */
public final class S3MockServer implements AutoCloseable {
  private final Process process;
  private final int port;

  private S3MockServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static S3MockServer start() throws IOException, InterruptedException {
    String jar = System.getProperty("s3mock.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException("the S3Mock jar is missing (" + jar + "); the build copies it to"
          + " target/s3proxy/s3mock.jar in generate-test-resources");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path dir = Files.createTempDirectory("s3mock");
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-jar", jar, "--server.port=0", "--com.adobe.testing.s3mock.httpPort=" + port,
        "--logging.level.root=WARN", "--com.adobe.testing.s3mock.store.root=" + dir.resolve("store")))
        .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
    S3MockServer server = new S3MockServer(p, port);
    long deadline = System.nanoTime() + 90_000_000_000L;
    while (!server.answers()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        server.close();
        throw new IllegalStateException("S3Mock did not start: " + Files.readString(dir.resolve("log")));
      }
      Thread.sleep(200);
    }
    return server;
  }

  private boolean answers() {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(2000);
      return c.getResponseCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public S3Client client() {
    return S3Client.builder().endpointOverride(URI.create(endpoint())).region(Region.US_EAST_1)
        .forcePathStyle(true).httpClientBuilder(ApacheHttpClient.builder())
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("any", "any")))
        .build();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
