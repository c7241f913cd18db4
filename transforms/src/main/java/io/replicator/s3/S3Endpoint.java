package io.replicator.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.channels.Channels;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.FileSystems;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * How to reach one side of a sync: an endpoint (null for AWS), a region, path-style addressing,
 * a named credentials profile (null for the default provider chain or, with a credentials file,
 * its {@code default} profile) and a credentials file to read it from (a path on any Beam
 * filesystem, {@code gs://} included; null for the AWS files of the machine), and a role to assume
 * with them (null for none). Holds no secret: the credentials are read, and the role assumed, where
 * the client is made, on each worker.
 */
public record S3Endpoint(String endpoint, String region, boolean pathStyle, String profile, String credentialsFile,
    AssumedRole role) implements Serializable {
  private static final Map<S3Endpoint, S3Client> CLIENTS = new ConcurrentHashMap<>();
  private static final Map<S3Endpoint, AwsCredentialsProvider> CREDENTIALS = new ConcurrentHashMap<>();

  /** An endpoint whose credentials come from the machine's AWS files or environment. */
  public S3Endpoint(String endpoint, String region, boolean pathStyle, String profile) {
    this(endpoint, region, pathStyle, profile, null, null);
  }

  /** An endpoint whose credentials are a profile of a credentials file, or the machine's. */
  public S3Endpoint(String endpoint, String region, boolean pathStyle, String profile, String credentialsFile) {
    this(endpoint, region, pathStyle, profile, credentialsFile, null);
  }

  /** The shared client of this endpoint in this JVM (S3 clients are thread-safe and pooled). */
  public S3Client client() {
    return CLIENTS.computeIfAbsent(this, S3Endpoint::build);
  }

  /** The credentials of this endpoint in this JVM, shared by its client and its {@link CopyObjectCall}s. */
  AwsCredentialsProvider credentials() {
    return CREDENTIALS.computeIfAbsent(this, e -> {
      AwsCredentialsProvider own = e.credentialsFile != null ? e.fromFile()
          : e.profile == null ? DefaultCredentialsProvider.create() : ProfileCredentialsProvider.create(e.profile);
      return e.role == null ? own
          : e.role.provider(own, e.credentialsFile != null || e.profile != null, e.signingRegion());
    });
  }

  /** The region requests are signed for. */
  Region signingRegion() {
    return Region.of(region == null ? "us-east-1" : region);
  }

  private S3Client build() {
    var builder = S3Client.builder()
        .credentialsProvider(credentials())
        .forcePathStyle(pathStyle)
        .httpClientBuilder(ApacheHttpClient.builder().maxConnections(64))
        .overrideConfiguration(ClientOverrideConfiguration.builder()
            .retryPolicy(RetryPolicy.builder().numRetries(5).build()).build())
        .region(signingRegion());
    if (endpoint != null) {
      builder.endpointOverride(URI.create(endpoint));
    }
    return builder.build();
  }

  /**
   * The profile's credentials in {@link #credentialsFile}, read once through Beam's filesystems
   * (a Dataflow worker reads {@code gs://} as a local run reads a path).
   */
  private AwsCredentialsProvider fromFile() {
    byte[] content;
    try (var in = Channels.newInputStream(FileSystems.open(FileSystems.matchSingleFileSpec(credentialsFile).resourceId()))) {
      content = in.readAllBytes();
    } catch (IOException | RuntimeException e) {
      throw new S3SyncException("cannot read the AWS credentials file " + credentialsFile + ": " + e.getMessage(), e);
    }
    ProfileFile file = ProfileFile.builder().content(new ByteArrayInputStream(content))
        .type(ProfileFile.Type.CREDENTIALS).build();
    String name = profile == null ? "default" : profile;
    if (file.profile(name).isEmpty()) {
      throw new S3SyncException("the AWS credentials file " + credentialsFile + " has no profile '" + name + "'"
          + (profile == null ? " (name one with --sourceProfile / --targetProfile)" : ""));
    }
    return ProfileCredentialsProvider.builder().profileFile(file).profileName(name).build();
  }

  /** Where requests go, for messages. */
  public String describe() {
    return endpoint != null ? endpoint : "AWS S3 (" + (region == null ? "us-east-1" : region) + ")";
  }

  /** Whether a server-side copy between the two works: same endpoint and same credentials. */
  public boolean sameServiceAs(S3Endpoint other) {
    return java.util.Objects.equals(endpoint, other.endpoint) && java.util.Objects.equals(profile, other.profile)
        && java.util.Objects.equals(credentialsFile, other.credentialsFile)
        && java.util.Objects.equals(region, other.region) && java.util.Objects.equals(role, other.role);
  }
}
