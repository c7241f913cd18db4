package io.replicator.s3;

import java.io.Serializable;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * How to reach one side of a sync: an endpoint (null for AWS), a region, path-style addressing,
 * and a named credentials profile (null for the default provider chain). Holds no secret: the
 * credentials are looked up where the client is made, on each worker.
 */
public record S3Endpoint(String endpoint, String region, boolean pathStyle, String profile) implements Serializable {
  private static final Map<S3Endpoint, S3Client> CLIENTS = new ConcurrentHashMap<>();

  /** The shared client of this endpoint in this JVM (S3 clients are thread-safe and pooled). */
  public S3Client client() {
    return CLIENTS.computeIfAbsent(this, S3Endpoint::build);
  }

  private S3Client build() {
    AwsCredentialsProvider credentials = profile == null
        ? DefaultCredentialsProvider.create() : ProfileCredentialsProvider.create(profile);
    var builder = S3Client.builder()
        .credentialsProvider(credentials)
        .forcePathStyle(pathStyle)
        .httpClientBuilder(ApacheHttpClient.builder().maxConnections(64))
        .overrideConfiguration(ClientOverrideConfiguration.builder()
            .retryPolicy(RetryPolicy.builder().numRetries(5).build()).build())
        .region(Region.of(region == null ? "us-east-1" : region));
    if (endpoint != null) {
      builder.endpointOverride(URI.create(endpoint));
    }
    return builder.build();
  }

  /** Where requests go, for messages. */
  public String describe() {
    return endpoint != null ? endpoint : "AWS S3 (" + (region == null ? "us-east-1" : region) + ")";
  }

  /** Whether a server-side copy between the two works: same endpoint and same credentials. */
  public boolean sameServiceAs(S3Endpoint other) {
    return java.util.Objects.equals(endpoint, other.endpoint) && java.util.Objects.equals(profile, other.profile)
        && java.util.Objects.equals(region, other.region);
  }
}
