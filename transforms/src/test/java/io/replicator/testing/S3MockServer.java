package io.replicator.testing;

import java.io.IOException;
import java.net.URI;
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
 * S3Mock as a child process, for what S3Proxy does not keep: object tags and storage classes. It
 * accepts any credentials. Its HTTP port listens on every interface, so it runs only for the
 * tests that need it and stops after them.
 */
public final class S3MockServer implements AutoCloseable {
  private final ChildProcess process;
  private final int port;

  private S3MockServer(ChildProcess process, int port) {
    this.process = process;
    this.port = port;
  }

  public static S3MockServer start() throws IOException, InterruptedException {
    String jar = System.getProperty("s3mock.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException("the S3Mock jar is missing (" + jar + "); the build copies it to"
          + " target/s3proxy/s3mock.jar in generate-test-resources");
    }
    int port = ChildProcess.freePort();
    Path dir = Files.createTempDirectory("s3mock");
    ChildProcess p = ChildProcess.startJava("S3Mock", List.of("-jar", jar, "--server.port=0",
        "--com.adobe.testing.s3mock.httpPort=" + port, "--logging.level.root=WARN",
        "--com.adobe.testing.s3mock.store.root=" + dir.resolve("store")), dir.resolve("log"),
        () -> ChildProcess.answersHttp("http://127.0.0.1:" + port + "/", 200), Duration.ofSeconds(90));
    return new S3MockServer(p, port);
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
    process.close();
  }
}
