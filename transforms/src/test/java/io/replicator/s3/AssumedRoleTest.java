package io.replicator.s3;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.replicator.testing.FakeSts;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;

/**
 * Roles assumed through a fake STS on loopback, with a fake Google metadata server: what each
 * receives, renewal before expiry, failures said without a credential in them, and S3 requests
 * made with the role's session.
 */
public class AssumedRoleTest {
  private static final String ROLE = "arn:aws:iam::123456789012:role/replicator-sync";
  private static final AwsCredentialsProvider BASE =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDBASE", "the-base-secret"));

  private FakeSts sts;
  private HttpServer metadata;
  private final List<Map<String, String>> metadataRequests = new CopyOnWriteArrayList<>();
  private final AtomicInteger tokens = new AtomicInteger();
  private volatile int metadataStatus = 200;

  @Before
  public void start() throws Exception {
    sts = FakeSts.issuing("ASIAROLE", "the-role-secret", "the-session-token");
    metadata = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    metadata.createContext("/", exchange -> {
      metadataRequests.add(Map.of("uri", exchange.getRequestURI().toString(),
          "flavor", String.valueOf(exchange.getRequestHeaders().getFirst("Metadata-Flavor"))));
      String path = exchange.getRequestURI().getPath();
      byte[] body = (metadataStatus != 200 ? "service account not found"
          : path.endsWith("/identity") ? "eyJ.google-id-token-" + tokens.incrementAndGet() + ".sig" : "")
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Metadata-Flavor", "Google");
      exchange.sendResponseHeaders(metadataStatus, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        exchange.getResponseBody().write(body);
      }
      exchange.close();
    });
    metadata.start();
  }

  @After
  public void stop() {
    sts.close();
    metadata.stop(0);
  }

  private AssumedRole role(AssumedRole.Identity identity, String metadataHost) {
    return new AssumedRole(ROLE, identity, "sts.amazonaws.com", sts.endpoint(), metadataHost);
  }

  private String metadataHost() {
    return "127.0.0.1:" + metadata.getAddress().getPort();
  }

  @Test
  public void onGoogleCloudTheServiceAccountsTokenIsExchangedWithoutAnySecret() {
    AwsCredentials credentials = role(AssumedRole.Identity.GOOGLE, metadataHost())
        .provider(BASE, false, Region.EU_WEST_1).resolveCredentials();

    assertEquals("ASIAROLE", credentials.accessKeyId());
    assertEquals("the-session-token", ((AwsSessionCredentials) credentials).sessionToken());
    Map<String, String> call = sts.requests().get(0);
    assertEquals("AssumeRoleWithWebIdentity", call.get("Action"));
    assertEquals(ROLE, call.get("RoleArn"));
    assertEquals("eyJ.google-id-token-1.sig", call.get("WebIdentityToken"));
    assertEquals("3600", call.get("DurationSeconds"));
    assertThat(call.get("RoleSessionName"), startsWith("replicator-"));
    assertTrue(call.get("RoleSessionName").matches("[\\w+=,.@-]{2,64}"));
    assertNull("a web identity request is not signed", call.get("authorization"));
    assertThat(call.toString(), not(containsString("AKIDBASE")));
    Map<String, String> asked = metadataRequests.get(0);
    assertEquals("Google", asked.get("flavor"));
    assertEquals("/computeMetadata/v1/instance/service-accounts/default/identity?format=full"
        + "&audience=sts.amazonaws.com", asked.get("uri"));
  }

  @Test
  public void sessionsAreRenewedBeforeTheyEndEachWithAFreshToken() {
    sts.issue("ASIAFIRST", "first-secret", "first-token", 120);
    AwsCredentialsProvider provider = role(AssumedRole.Identity.GOOGLE, metadataHost())
        .provider(BASE, false, Region.EU_WEST_1);
    assertEquals("ASIAFIRST", provider.resolveCredentials().accessKeyId());

    // Two minutes left is inside the SDK's five-minute renewal window: the next use renews.
    sts.issue("ASIASECOND", "second-secret", "second-token", 3600);
    assertEquals("ASIASECOND", provider.resolveCredentials().accessKeyId());
    assertEquals(2, sts.requests().size());
    assertEquals("eyJ.google-id-token-2.sig", sts.requests().get(1).get("WebIdentityToken"));

    // An hour left: used as it is.
    assertEquals("ASIASECOND", provider.resolveCredentials().accessKeyId());
    assertEquals(2, sts.requests().size());
  }

  @Test
  public void elsewhereTheSidesOwnCredentialsSignAnAssumeRole() {
    // Nothing answers at this port: not a Google machine, so auto takes the AWS credentials.
    AwsCredentials credentials = role(AssumedRole.Identity.AUTO, "127.0.0.1:9")
        .provider(BASE, false, Region.EU_WEST_1).resolveCredentials();

    assertEquals("ASIAROLE", credentials.accessKeyId());
    Map<String, String> call = sts.requests().get(0);
    assertEquals("AssumeRole", call.get("Action"));
    assertEquals(ROLE, call.get("RoleArn"));
    assertNull(call.get("WebIdentityToken"));
    assertThat(call.get("authorization"), startsWith("AWS4-HMAC-SHA256 Credential=AKIDBASE/"));
    assertThat(call.get("authorization"), containsString("/eu-west-1/sts/aws4_request"));
    assertThat(call.toString(), not(containsString("the-base-secret")));
  }

  @Test
  public void autoUsesGoogleWhereItsMetadataAnswersUnlessTheSideNamesCredentials() {
    role(AssumedRole.Identity.AUTO, metadataHost()).provider(BASE, false, Region.EU_WEST_1).resolveCredentials();
    assertEquals("AssumeRoleWithWebIdentity", sts.requests().get(0).get("Action"));

    // A named profile or credentials file is what the user chose to sign with.
    role(AssumedRole.Identity.AUTO, metadataHost()).provider(BASE, true, Region.EU_WEST_1).resolveCredentials();
    assertEquals("AssumeRole", sts.requests().get(1).get("Action"));
  }

  @Test
  public void aRefusedRoleIsSaidWithoutTheTokenOrTheKeys() {
    sts.refuse(403, "AccessDenied");
    AwsCredentialsProvider google = role(AssumedRole.Identity.GOOGLE, metadataHost())
        .provider(BASE, false, Region.EU_WEST_1);
    SdkException refused = assertThrows(SdkException.class, google::resolveCredentials);
    assertEquals("assuming the role " + ROLE + " through STS (the Google service account's identity token) failed:"
        + " STS answered HTTP 403 AccessDenied (Not authorized to perform sts:AssumeRoleWithWebIdentity)",
        refused.getMessage());
    assertThat(S3Errors.describe("listing", new S3Endpoint("http://s3.test", null, true, null), refused),
        containsString("listing at http://s3.test failed: assuming the role " + ROLE));
    assertThat(stackText(refused), not(containsString("google-id-token")));

    SdkException unsigned = assertThrows(SdkException.class,
        () -> role(AssumedRole.Identity.AWS, null).provider(BASE, true, Region.EU_WEST_1).resolveCredentials());
    assertThat(unsigned.getMessage(), containsString("(the side's AWS credentials) failed: STS answered HTTP 403"));
    assertThat(stackText(unsigned), not(containsString("the-base-secret")));
  }

  @Test
  public void aSideWithoutCredentialsToSignWithIsToldWhatToGive() {
    AwsCredentialsProvider none = () -> {
      throw SdkClientException.create("Unable to load credentials from any of the providers in the chain"
          + " [ProfileCredentialsProvider(profileFile=ProfileFile(...))]");
    };
    SdkException unsigned = assertThrows(SdkException.class,
        () -> role(AssumedRole.Identity.AWS, null).provider(none, false, Region.EU_WEST_1).resolveCredentials());
    assertEquals("assuming the role " + ROLE + " through STS (the side's AWS credentials) failed: no AWS credentials"
        + " to sign the AssumeRole with (name a profile or a credentials file for the side, set AWS_ACCESS_KEY_ID and"
        + " AWS_SECRET_ACCESS_KEY, or on Google Cloud use --roleIdentity=google)", unsigned.getMessage());
    assertTrue("nothing reached STS", sts.requests().isEmpty());
  }

  @Test
  public void aMetadataServerWithoutATokenIsNamed() {
    metadataStatus = 404;
    SdkException noToken = assertThrows(SdkException.class, () -> role(AssumedRole.Identity.GOOGLE, metadataHost())
        .provider(BASE, false, Region.EU_WEST_1).resolveCredentials());
    assertThat(noToken.getMessage(), containsString("the Google metadata server at " + metadataHost()
        + " gave no identity token: HTTP 404 service account not found"));
    assertTrue("nothing reached STS", sts.requests().isEmpty());
  }

  @Test
  public void s3RequestsAndServerSideCopiesCarryTheRolesSession() throws Exception {
    // What S3 would receive: the session's key, its token among the signed headers, for both clients.
    List<Map<String, String>> received = new CopyOnWriteArrayList<>();
    HttpServer s3 = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s3.createContext("/", exchange -> {
      received.add(Map.of("method", exchange.getRequestMethod(),
          "authorization", exchange.getRequestHeaders().getFirst("Authorization"),
          "token", String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Security-Token"))));
      byte[] body = (exchange.getRequestMethod().equals("PUT")
          ? "<CopyObjectResult><ETag>&quot;e2&quot;</ETag></CopyObjectResult>"
          : "<ListBucketResult><Name>role-bucket</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
              + "</ListBucketResult>").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    s3.start();
    try {
      S3Endpoint endpoint = new S3Endpoint("http://127.0.0.1:" + s3.getAddress().getPort(), "eu-west-1", true, null,
          null, new AssumedRole("arn:aws:iam::123456789012:role/s3-role-test", AssumedRole.Identity.GOOGLE,
              "sts.amazonaws.com", sts.endpoint(), metadataHost()));

      endpoint.client().listObjectsV2(b -> b.bucket("role-bucket").prefix("in/"));
      CopyObjectCall.copy(endpoint, "role-bucket", "in/a.txt", "role-bucket", "out/a.txt", "e1", Map.of());

      assertEquals(2, received.size());
      for (Map<String, String> request : received) {
        assertThat(request.get("authorization"), startsWith("AWS4-HMAC-SHA256 Credential=ASIAROLE/"));
        assertThat(request.get("authorization"), containsString("x-amz-security-token"));
        assertEquals("the-session-token", request.get("token"));
      }
      assertEquals("one session served both requests", 1, sts.requests().size());
      assertFalse("another role is another service", endpoint.sameServiceAs(
          new S3Endpoint(endpoint.endpoint(), "eu-west-1", true, null)));
    } finally {
      s3.stop(0);
    }
  }

  @Test
  public void onlyRoleArnsAreTaken() {
    assertEquals(ROLE, AssumedRole.checkArn("--sourceRoleArn", " " + ROLE + " "));
    assertEquals("arn:aws-cn:iam::123456789012:role/path/r", AssumedRole.checkArn("--x",
        "arn:aws-cn:iam::123456789012:role/path/r"));
    for (String wrong : List.of("replicator", "arn:aws:iam::123456789012:user/someone",
        "arn:aws:iam::12345:role/short-account", "arn:aws:s3:::bucket")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> AssumedRole.checkArn("--targetRoleArn", wrong));
      assertThat(e.getMessage(), startsWith("--targetRoleArn='" + wrong + "': expected a role ARN"));
    }
    assertThat(assertThrows(IllegalArgumentException.class, () -> AssumedRole.Identity.parse("--roleIdentity", "gcp"))
        .getMessage(), containsString("expected auto, google or aws"));
  }

  private static String stackText(Throwable t) {
    var out = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }
}
