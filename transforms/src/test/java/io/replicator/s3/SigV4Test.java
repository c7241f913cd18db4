package io.replicator.s3;

import static org.junit.Assert.assertEquals;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;
import org.junit.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.signer.AwsS3V4Signer;
import software.amazon.awssdk.auth.signer.params.AwsS3V4SignerParams;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.regions.Region;

/** SigV4 signs a CopyObject as the SDK's own S3 signer does, header for header. */
public class SigV4Test {
  private static final Instant NOW = Instant.parse("2026-12-04T09:05:07.250Z");
  private static final AwsCredentials KEYS = AwsBasicCredentials.create("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

  @Test
  public void aPathStyleCopyOnAPortIsSignedAsTheSdkSignsIt() {
    Map<String, String> headers = new TreeMap<>(Map.of(
        "x-amz-copy-source", "/src/in/a%20b%2Bc%25/%ED%95%9C.txt",
        "x-amz-copy-source-if-match", "\"9b2cf535f27731c974343645a3985328\"",
        "x-amz-metadata-directive", "COPY",
        "x-amz-storage-class", "STANDARD_IA"));
    assertSignedAsTheSdk(URI.create("http://127.0.0.1:18080/dst/out/a%20b%2Bc%25/%ED%95%9C.txt"), headers, KEYS,
        "eu-west-1", NOW);
  }

  @Test
  public void aVirtualHostedCopyWithSessionCredentialsIsSignedAsTheSdkSignsIt() {
    Map<String, String> headers = Map.of(
        "x-amz-copy-source", "/src/k~._-",
        "x-amz-copy-source-if-match", "\"e\"",
        "x-amz-metadata-directive", "COPY",
        "x-amz-server-side-encryption", "  aws:kms  ",
        "x-amz-acl", "bucket-owner-full-control");
    AwsCredentials session = AwsSessionCredentials.create("ASIAEXAMPLE", "session/secret+key", "FwoGZXIvYXdzE//token==");
    assertSignedAsTheSdk(URI.create("https://my-bucket.s3.us-east-2.amazonaws.com/k~._-"), headers, session,
        "us-east-2", NOW);
  }

  @Test
  public void eachDayAndEachSecretSignsWithItsOwnKey() {
    URI uri = URI.create("http://localhost:9000/b/k");
    Map<String, String> headers = Map.of("x-amz-copy-source", "/a/k", "x-amz-metadata-directive", "COPY");
    AwsCredentials other = AwsBasicCredentials.create("AKIDEXAMPLE", "another-secret");
    Instant nextDay = NOW.plusSeconds(86_400);
    // In turn on one thread, so that a key kept from the request before would show.
    assertSignedAsTheSdk(uri, headers, KEYS, "us-east-1", NOW);
    assertSignedAsTheSdk(uri, headers, KEYS, "us-east-1", nextDay);
    assertSignedAsTheSdk(uri, headers, other, "us-east-1", nextDay);
    assertSignedAsTheSdk(uri, headers, other, "ap-south-1", nextDay);
    assertSignedAsTheSdk(uri, headers, KEYS, "us-east-1", NOW);
  }

  @Test
  public void aDefaultPortWrittenOutIsLeftOutOfTheHostAsTheSdkDoes() {
    Map<String, String> headers = Map.of("x-amz-copy-source", "/a/k");
    assertSignedAsTheSdk(URI.create("https://s3.eu-west-3.amazonaws.com:443/b/k"), headers, KEYS, "eu-west-3", NOW);
    assertSignedAsTheSdk(URI.create("http://minio.internal:80/b/k"), headers, KEYS, "eu-west-3", NOW);
    assertEquals("minio.internal", SigV4.sign("PUT", URI.create("http://minio.internal:80/b/k"), headers, KEYS,
        "eu-west-3", NOW).get("host"));
  }

  @Test
  public void aListingsQueryIsSignedAsTheSdkSignsIt() {
    Map<String, String> query = new TreeMap<>(Map.of("list-type", "2", "encoding-type", "url", "max-keys", "1000",
        "prefix", "in/a b+c%/한~*", "delimiter", "/", "continuation-token", "1/AbC+dEf=="));
    StringBuilder raw = new StringBuilder();
    query.forEach((k, v) -> raw.append(raw.length() == 0 ? "" : "&").append(k).append('=').append(S3Http.encodeQuery(v)));
    URI uri = URI.create("http://127.0.0.1:18080/bucket?" + raw);

    SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder().method(SdkHttpMethod.GET)
        .uri(URI.create("http://127.0.0.1:18080/bucket"));
    query.forEach(request::putRawQueryParameter);
    assertEquals(bySdk(request, KEYS, "us-east-1", NOW), SigV4.sign("GET", uri, Map.of(), KEYS, "us-east-1", NOW));
  }

  @Test
  public void aBodyWhoseHashIsGivenIsSignedAsTheSdkSignsIt() {
    byte[] body = "<CompleteMultipartUpload><Part><ETag>&quot;e1&quot;</ETag><PartNumber>1</PartNumber></Part>"
        .concat("</CompleteMultipartUpload>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    URI uri = URI.create("http://127.0.0.1:18080/dst/big.bin?uploadId=up%2F1");
    Map<String, String> headers = Map.of("content-type", "application/xml",
        "x-amz-content-sha256", SigV4.payloadHash(body));
    SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder().method(SdkHttpMethod.POST)
        .uri(URI.create("http://127.0.0.1:18080/dst/big.bin")).putRawQueryParameter("uploadId", "up/1")
        .putHeader("content-type", "application/xml")
        .contentStreamProvider(() -> new java.io.ByteArrayInputStream(body));
    SdkHttpFullRequest bySdk = AwsS3V4Signer.create().sign(request.build(), AwsS3V4SignerParams.builder()
        .awsCredentials(KEYS).signingName("s3").signingRegion(Region.of("us-east-1"))
        .signingClockOverride(Clock.fixed(NOW, ZoneOffset.UTC))
        .doubleUrlEncode(false).enablePayloadSigning(true).build());
    Map<String, String> expected = new TreeMap<>();
    bySdk.forEachHeader((name, values) -> expected.put(name.toLowerCase(), String.join(",", values)));
    assertEquals(expected, SigV4.sign("POST", uri, headers, KEYS, "us-east-1", NOW));
  }

  private static void assertSignedAsTheSdk(URI uri, Map<String, String> headers, AwsCredentials credentials,
      String region, Instant now) {
    SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder().method(SdkHttpMethod.PUT).uri(uri);
    headers.forEach(request::putHeader);
    assertEquals(bySdk(request, credentials, region, now), SigV4.sign("PUT", uri, headers, credentials, region, now));
  }

  /** The headers the SDK's S3 signer gives the request, by lower-case name. */
  private static Map<String, String> bySdk(SdkHttpFullRequest.Builder request, AwsCredentials credentials,
      String region, Instant now) {
    SdkHttpFullRequest bySdk = AwsS3V4Signer.create().sign(request.build(), AwsS3V4SignerParams.builder()
        .awsCredentials(credentials).signingName("s3").signingRegion(Region.of(region))
        .signingClockOverride(Clock.fixed(now, ZoneOffset.UTC))
        .doubleUrlEncode(false).enablePayloadSigning(false).build());
    Map<String, String> expected = new TreeMap<>();
    bySdk.forEachHeader((name, values) -> expected.put(name.toLowerCase(), String.join(",", values)));
    return expected;
  }
}
