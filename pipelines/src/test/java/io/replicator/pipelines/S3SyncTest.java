package io.replicator.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replicator.testing.FakeSts;
import io.replicator.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code s3-sync} against real S3-compatible servers (S3Proxy on loopback, one per endpoint), as a
 * user runs it: the command line, the exit code, the summary, the report, and the buckets after.
 */
public class S3SyncTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static S3ProxyServer one;
  private static S3ProxyServer two;
  private static Path credentials;
  private static int buckets;

  private S3Client client;
  private String source;
  private String target;

  @BeforeClass
  public static void startServers() throws Exception {
    one = S3ProxyServer.start("identity-one", "credential-one");
    two = S3ProxyServer.start("identity-two", "credential-two");
    credentials = Files.createTempFile("aws-credentials", "");
    Files.writeString(credentials, "[one]\naws_access_key_id = identity-one\naws_secret_access_key = credential-one\n"
        + "[two]\naws_access_key_id = identity-two\naws_secret_access_key = credential-two\n"
        + "[wrong]\naws_access_key_id = identity-one\naws_secret_access_key = not-the-credential\n");
    System.setProperty("aws.sharedCredentialsFile", credentials.toString());
  }

  @AfterClass
  public static void stopServers() {
    one.close();
    two.close();
  }

  @Before
  public void buckets() {
    client = one.client();
    source = "source-" + (++buckets);
    target = "target-" + buckets;
    client.createBucket(b -> b.bucket(source));
    client.createBucket(b -> b.bucket(target));
  }

  /** The report's lines by key. */
  static Map<String, JsonNode> lines(Path report) throws Exception {
    Map<String, JsonNode> lines = new TreeMap<>();
    for (String line : Files.readAllLines(report)) {
      JsonNode n = new ObjectMapper().readTree(line);
      lines.put(n.get("key").asText(), n);
    }
    return lines;
  }

  private Replication.Outcome sync(String... extra) {
    List<String> args = new ArrayList<>(List.of("s3-sync", "--source=s3://" + source + "/data",
        "--target=s3://" + target + "/copy/", "--sourceEndpoint=" + one.endpoint(), "--targetEndpoint=" + one.endpoint(),
        "--sourceProfile=one", "--targetProfile=one", "--pathStyle=true"));
    for (String e : extra) {
      String name = e.contains("=") ? e.substring(0, e.indexOf('=') + 1) : e;
      if (!name.equals("--include=") && !name.equals("--exclude=")) {
        args.removeIf(a -> a.startsWith(name));
      }
      args.add(e);
    }
    return Replication.cli(args.toArray(String[]::new));
  }

  private void put(S3Client c, String bucket, String key, String body, String contentType, Map<String, String> meta) {
    c.putObject(b -> b.bucket(bucket).key(key).contentType(contentType).metadata(meta), RequestBody.fromString(body));
  }

  private Map<String, String> keys(S3Client c, String bucket) {
    Map<String, String> out = new TreeMap<>();
    for (S3Object o : c.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
      out.put(o.key(), c.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asUtf8String());
    }
    return out;
  }

  /** Keys a sync must carry over untouched: spaces, non-ASCII, '+', '%', a deep prefix. */
  private static final List<String> HOSTILE = List.of("data/a b.txt", "data/한국어/파일.csv", "data/plus+sign.txt",
      "data/per%20cent.txt", "data/d1/d2/d3/d4/d5/d6/d7/d8/deep.json", "data/top.txt");

  @Test
  public void aFirstSyncCopiesEverythingWithItsMetadataAndASecondOneNothing() throws Exception {
    for (String k : HOSTILE) {
      put(client, source, k, "body of " + k, "text/x-test; charset=utf-8", Map.of("origin", "unit-test", "k", "v"));
    }
    client.putObject(b -> b.bucket(source).key("data/folder/"), RequestBody.empty());
    Path report = tmp.getRoot().toPath().resolve("report.jsonl");

    Replication.Outcome first = sync("--report=" + report);
    assertEquals(first.err() + first.out() + (Files.exists(report) ? Files.readString(report) : ""), 0, first.code());
    assertThat(first.out(), containsString("copied      6 objects"));
    Map<String, String> copied = keys(client, target);
    assertEquals(HOSTILE.size(), copied.size());
    for (String k : HOSTILE) {
      String copy = "copy/" + k.substring("data/".length());
      assertEquals(k, "body of " + k, copied.get(copy));
      HeadObjectResponse head = client.headObject(b -> b.bucket(target).key(copy));
      assertEquals("text/x-test; charset=utf-8", head.contentType());
      assertEquals(Map.of("origin", "unit-test", "k", "v"), head.metadata());
    }
    Map<String, JsonNode> lines = lines(report);
    assertEquals(7, lines.size());
    assertEquals("copied", lines.get("a b.txt").get("action").asText());
    assertEquals("missing at the target", lines.get("a b.txt").get("reason").asText());
    assertEquals(lines.get("a b.txt").get("source_etag").asText(), lines.get("a b.txt").get("target_etag").asText());
    assertEquals("skipped", lines.get("folder/").get("action").asText());

    Replication.Outcome second = sync("--report=" + report);
    assertEquals(second.err(), 0, second.code());
    assertThat(second.out(), containsString("copied      0 objects"));
    assertTrue(lines(report).values().stream().allMatch(n -> n.get("action").asText().equals("skipped")));
  }

  @Test
  public void changedSizesAndNewerSourcesAreCopiedAsEachCompareModeSays() throws Exception {
    put(client, source, "data/same-size.txt", "aaaa", "text/plain", Map.of());
    put(client, source, "data/grows.txt", "1", "text/plain", Map.of());
    assertEquals(0, sync().code());
    Thread.sleep(1100); // S3 times have a one-second resolution
    put(client, source, "data/same-size.txt", "bbbb", "text/plain", Map.of());
    put(client, source, "data/grows.txt", "1234", "text/plain", Map.of());

    Replication.Outcome sizeOnly = sync("--compare=size-only", "--dryRun=true");
    assertThat(sizeOnly.out(), containsString("would copy  1 objects"));
    Replication.Outcome byEtag = sync("--compare=etag", "--dryRun=true");
    assertThat(byEtag.out(), containsString("would copy  2 objects"));
    assertEquals("dry runs change nothing", "aaaa", keys(client, target).get("copy/same-size.txt"));
    Path sums = tmp.getRoot().toPath().resolve("sums.jsonl");
    Replication.Outcome byChecksum = sync("--compare=checksum", "--dryRun=true", "--report=" + sums);
    assertThat(byChecksum.out(), containsString("would copy  2 objects"));
    assertThat(Files.readString(sums), containsString("etag differs (no checksum in common)"));
    Replication.Outcome byTime = sync();
    assertThat(byTime.out(), containsString("copied      2 objects"));
    assertEquals("bbbb", keys(client, target).get("copy/same-size.txt"));
    assertEquals("1234", keys(client, target).get("copy/grows.txt"));
  }

  @Test
  public void filtersApplyInOrderAndExcludedKeysAreNeverDeleted() throws Exception {
    for (String k : List.of("data/a.txt", "data/b.tmp", "data/keep/c.tmp")) {
      put(client, source, k, k, "text/plain", Map.of());
    }
    put(client, target, "copy/old.tmp", "stale but excluded", "text/plain", Map.of());
    put(client, target, "copy/gone.txt", "not at the source", "text/plain", Map.of());
    Path report = tmp.getRoot().toPath().resolve("r.jsonl");
    Replication.Outcome o = sync("--exclude=*.tmp", "--include=keep/*", "--delete=true", "--report=" + report);
    assertEquals(o.err() + o.out(), 0, o.code());
    assertEquals(Map.of("copy/a.txt", "data/a.txt", "copy/keep/c.tmp", "data/keep/c.tmp", "copy/old.tmp",
        "stale but excluded"), keys(client, target));
    Map<String, JsonNode> lines = lines(report);
    assertEquals("excluded", lines.get("b.tmp").get("action").asText());
    assertEquals("excluded", lines.get("old.tmp").get("action").asText());
    assertEquals("deleted", lines.get("gone.txt").get("action").asText());
  }

  @Test
  public void deletesBeyondMaxDeleteAreRefusedAndADryRunDeletesNothing() throws Exception {
    put(client, source, "data/keep.txt", "k", "text/plain", Map.of());
    for (int i = 0; i < 3; i++) {
      put(client, target, "copy/extra-" + i, "x", "text/plain", Map.of());
    }
    Replication.Outcome dry = sync("--delete=true", "--dryRun=true");
    assertThat(dry.out(), containsString("would delete 3 objects"));
    Replication.Outcome refused = sync("--delete=true", "--maxDelete=2");
    assertEquals(0, refused.code());
    assertEquals(4, keys(client, target).size());
    Replication.Outcome allowed = sync("--delete=true", "--maxDelete=3");
    assertThat(allowed.out(), containsString("deleted     3 objects"));
    assertEquals(Map.of("copy/keep.txt", "k"), keys(client, target));
  }

  @Test
  public void largeObjectsAreCopiedInPartsServerSideAndStreamedAcrossEndpoints() throws Exception {
    byte[] big = new byte[12 << 20];
    new Random(3).nextBytes(big);
    client.putObject(b -> b.bucket(source).key("data/big.bin").contentType("application/x-big")
        .metadata(Map.of("kept", "yes")), RequestBody.fromBytes(big));
    put(client, source, "data/small.txt", "small", "text/plain", Map.of("kept", "too"));

    Replication.Outcome parts = sync("--multipartThreshold=5MB", "--multipartChunkSize=5MB");
    assertEquals(parts.err() + parts.out(), 0, parts.code());
    byte[] copy = client.getObjectAsBytes(b -> b.bucket(target).key("copy/big.bin")).asByteArray();
    assertTrue(java.util.Arrays.equals(big, copy));
    HeadObjectResponse head = client.headObject(b -> b.bucket(target).key("copy/big.bin"));
    assertEquals("application/x-big", head.contentType());
    assertEquals(Map.of("kept", "yes"), head.metadata());
    assertTrue("a multipart ETag: " + head.eTag(), head.eTag().contains("-3"));

    // Another server with other credentials: the copies stream through the workers.
    S3Client other = two.client();
    other.createBucket(b -> b.bucket("far-" + buckets));
    Replication.Outcome far = sync("--target=s3://far-" + buckets + "/copy/", "--targetEndpoint=" + two.endpoint(),
        "--targetProfile=two", "--multipartThreshold=5MB", "--multipartChunkSize=5MB");
    assertEquals(far.err() + far.out(), 0, far.code());
    assertTrue(java.util.Arrays.equals(big,
        other.getObjectAsBytes(b -> b.bucket("far-" + buckets).key("copy/big.bin")).asByteArray()));
    HeadObjectResponse farHead = other.headObject(b -> b.bucket("far-" + buckets).key("copy/small.txt"));
    assertEquals("text/plain", farHead.contentType());
    assertEquals(Map.of("kept", "too"), farHead.metadata());
  }

  @Test
  public void credentialsComeFromAFileTheWorkersRead() throws Exception {
    for (String k : HOSTILE) {
      put(client, source, k, "body of " + k, "text/plain", Map.of());
    }
    // Neither profile is in the machine's AWS file: the sync works only if it reads this one.
    Path file = tmp.newFile("worker-credentials").toPath();
    Files.writeString(file, "[default]\naws_access_key_id = identity-one\naws_secret_access_key = credential-one\n"
        + "[elsewhere]\naws_access_key_id = identity-one\naws_secret_access_key = credential-one\n");
    List<String> args = List.of("s3-sync", "--source=s3://" + source + "/data", "--target=s3://" + target + "/copy/",
        "--sourceEndpoint=" + one.endpoint(), "--targetEndpoint=" + one.endpoint(), "--pathStyle=true",
        "--sourceCredentialsFile=" + file, "--sourceProfile=elsewhere", "--targetCredentialsFile=" + file);
    Replication.Outcome ok = Replication.cli(args.toArray(String[]::new));
    assertEquals(ok.err() + ok.out(), 0, ok.code());
    assertThat(ok.out(), containsString("copied      6 objects"));
    assertEquals(6, keys(client, target).size());

    Replication.Outcome missing = sync("--sourceCredentialsFile=" + tmp.getRoot() + "/nope");
    assertEquals(missing.err(), 2, missing.code());
    assertThat(missing.err(), containsString("--sourceCredentialsFile=" + tmp.getRoot() + "/nope: no such file"));
    Replication.Outcome noProfile = sync("--sourceCredentialsFile=" + file, "--sourceProfile=nobody");
    assertEquals(noProfile.err(), 1, noProfile.code());
    assertThat(noProfile.err(), containsString("the AWS credentials file " + file + " has no profile 'nobody'"));
    assertFalse(noProfile.err(), noProfile.err().contains("credential-one"));
  }

  @Test
  public void aMissingBucketBadCredentialsAndAnUnreachableEndpointAreNamed() throws Exception {
    Replication.Outcome missing = sync("--source=s3://no-such-bucket/data");
    assertEquals(1, missing.code());
    assertThat(missing.err(), containsString("--source=s3://no-such-bucket/data/: listing at " + one.endpoint()
        + " failed: HTTP 404 NoSuchBucket (the bucket does not exist)"));
    Replication.Outcome wrong = sync("--sourceProfile=wrong");
    assertEquals(1, wrong.code());
    assertThat(wrong.err(), containsString("(the credentials are not accepted)"));
    assertFalse(wrong.err(), wrong.err().contains("not-the-credential"));
    Replication.Outcome down = sync("--sourceEndpoint=http://127.0.0.1:9");
    assertEquals(1, down.code());
    assertThat(down.err(), containsString("failed: cannot reach http://127.0.0.1:9"));
    Replication.Outcome noCredentials = sync("--sourceProfile=nobody");
    assertEquals(1, noCredentials.code());
    assertThat(noCredentials.err(), containsString("--source=s3://" + source + "/data/: listing at " + one.endpoint()
        + " failed: no AWS credentials (the profile 'nobody' has none in the AWS credentials file; name a profile"));
    assertFalse(noCredentials.err(), noCredentials.err().contains("cannot reach"));
    for (String url : List.of("not-a-url", "s3://bucket", "http://", "localhost:9000")) {
      Replication.Outcome badUrl = sync("--sourceEndpoint=" + url);
      assertEquals(badUrl.err(), 2, badUrl.code());
      assertThat(badUrl.err(), containsString("--sourceEndpoint='" + url + "': expected an http:// or https:// URL"));
    }
    Replication.Outcome tooBig = sync("--multipartThreshold=6GB");
    assertEquals(2, tooBig.code());
    assertThat(tooBig.err(), containsString("--multipartThreshold must be between 5MB and 5GB"));
    Replication.Outcome overlap = sync("--target=s3://" + source + "/data/sub");
    assertEquals(2, overlap.code());
    assertThat(overlap.err(), containsString("overlap"));
    // Other credentials for the same server's bucket do not make it another bucket.
    Replication.Outcome overlapAsOther = sync("--target=s3://" + source + "/data/sub", "--targetProfile=two");
    assertEquals(2, overlapAsOther.code());
    assertThat(overlapAsOther.err(), containsString("overlap"));
  }

  @Test
  public void theSyncTranslatesForDataflow() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path small = Files.writeString(dir.resolve("staged.txt"), "the only file to stage");
    Replication.Outcome o = sync("--delete=true", "--report=" + dir.resolve("report.jsonl"), "--runner=DataflowRunner",
        "--project=my-project", "--region=europe-west1", "--templateLocation=" + dir.resolve("template.json"),
        "--stagingLocation=" + dir.resolve("df-staging"), "--gcpTempLocation=" + dir.resolve("temp"),
        "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
        "--filesToStage=" + small);
    assertEquals(o.err(), 0, o.code());
    assertThat(o.out(), containsString("template written to"));
    String job = Files.readString(dir.resolve("template.json"));
    for (String step : List.of("List source", "List target", "Plan", "Target as map side input", "Copy", "Delete",
        "Write report")) {
      assertThat(step, job, containsString(step));
    }
    assertFalse("no credential in the job", job.contains("credential-one"));
  }

  @Test
  public void rolesAreAssumedWithTheSidesCredentialsAndOnlyTheirArnsTravel() throws Exception {
    try (S3ProxyServer roles = S3ProxyServer.startAcceptingSessions("role-identity", "role-credential");
        FakeSts sts = FakeSts.issuing("role-identity", "role-credential", "the-session-token")) {
      S3Client c = roles.client();
      c.createBucket(b -> b.bucket("role-src"));
      c.createBucket(b -> b.bucket("role-dst"));
      for (String k : HOSTILE) {
        put(c, "role-src", k, "body of " + k, "text/plain", Map.of());
      }
      // Profile 'one' is not accepted by this server: the sync works only as the roles.
      String sourceRole = "arn:aws:iam::123456789012:role/sync-reader";
      String targetRole = "arn:aws:iam::210987654321:role/sync-writer";
      List<String> args = new ArrayList<>(List.of("s3-sync", "--source=s3://role-src/data", "--target=s3://role-dst/copy/",
          "--sourceEndpoint=" + roles.endpoint(), "--targetEndpoint=" + roles.endpoint(), "--pathStyle=true",
          "--sourceProfile=one", "--targetProfile=one", "--sourceRoleArn=" + sourceRole, "--targetRoleArn=" + targetRole,
          "--roleIdentity=aws", "--stsEndpoint=" + sts.endpoint()));
      Replication.Outcome ok = Replication.cli(args.toArray(String[]::new));
      assertEquals(ok.err() + ok.out(), 0, ok.code());
      assertThat(ok.out(), containsString("copied      6 objects"));
      assertEquals(6, keys(c, "role-dst").size());
      Map<String, String> assumed = new TreeMap<>();
      for (Map<String, String> call : sts.requests()) {
        assertEquals("AssumeRole", call.get("Action"));
        assertThat(call.get("authorization"), containsString("Credential=identity-one/"));
        assumed.put(call.get("RoleArn"), call.get("RoleSessionName"));
      }
      assertEquals("each role assumed once, by the side's own credentials", 2, sts.requests().size());
      assertEquals(List.of(sourceRole, targetRole), List.copyOf(assumed.keySet()));
      for (String secret : List.of("credential-one", "role-credential", "the-session-token")) {
        assertFalse(secret, (ok.out() + ok.err()).contains(secret));
      }

      // The job carries the role ARNs and nothing secret.
      Path dir = tmp.getRoot().toPath();
      Path small = Files.writeString(dir.resolve("staged.txt"), "the only file to stage");
      args.addAll(List.of("--runner=DataflowRunner", "--project=my-project", "--region=europe-west1",
          "--templateLocation=" + dir.resolve("template.json"), "--stagingLocation=" + dir.resolve("df-staging"),
          "--gcpTempLocation=" + dir.resolve("temp"),
          "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
          "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
          "--filesToStage=" + small));
      Replication.Outcome template = Replication.cli(args.toArray(String[]::new));
      assertEquals(template.err(), 0, template.code());
      String job = Files.readString(dir.resolve("template.json"));
      assertThat(job, containsString(sourceRole));
      for (String secret : List.of("credential-one", "role-credential", "the-session-token")) {
        assertFalse(secret, job.contains(secret));
      }

      // A role STS refuses stops the run before anything is copied, and says which and why.
      sts.refuse(403, "AccessDenied");
      Replication.Outcome refused = Replication.cli("s3-sync", "--source=s3://role-src/data",
          "--target=s3://role-dst/other/", "--sourceEndpoint=" + roles.endpoint(), "--targetEndpoint=" + roles.endpoint(),
          "--pathStyle=true", "--sourceProfile=one", "--targetProfile=one",
          "--sourceRoleArn=arn:aws:iam::123456789012:role/not-trusted", "--targetRoleArn=" + targetRole,
          "--stsEndpoint=" + sts.endpoint());
      assertEquals(refused.err(), 1, refused.code());
      assertThat(refused.err(), containsString("--source=s3://role-src/data/: listing at " + roles.endpoint()
          + " failed: assuming the role arn:aws:iam::123456789012:role/not-trusted through STS (the side's AWS"
          + " credentials) failed: STS answered HTTP 403 AccessDenied"));
      assertEquals(6, keys(c, "role-dst").size());

    }
  }

  @Test
  public void roleOptionsThatCannotWorkAreRefusedByName() {
    String role = "--sourceRoleArn=arn:aws:iam::123456789012:role/r";
    Object[][] cases = {
        {new String[] {"--sourceRoleArn=role/r"}, "--sourceRoleArn='role/r': expected a role ARN"},
        {new String[] {role, "--roleIdentity=gcp"}, "--roleIdentity='gcp': expected auto, google or aws"},
        {new String[] {role, "--roleIdentity=google"}, "--roleIdentity=google assumes --sourceRoleArn with the Google"
            + " service account's token, so the side's profile or credentials file would go unused"},
        {new String[] {"--stsEndpoint=http://127.0.0.1:9"}, "--stsEndpoint is where roles are assumed"},
        {new String[] {role, "--stsEndpoint=sts.amazonaws.com"}, "--stsEndpoint='sts.amazonaws.com': expected an"},
    };
    for (Object[] c : cases) {
      Replication.Outcome o = sync((String[]) c[0]);
      assertEquals(o.err(), 2, o.code());
      assertThat(o.err(), containsString((String) c[1]));
    }
    Replication.Outcome directory = Replication.cli("s3-sync", "--source=s3://" + source + "/data",
        "--target=" + tmp.getRoot(), "--sourceEndpoint=" + one.endpoint(), "--pathStyle=true",
        "--targetRoleArn=arn:aws:iam::123456789012:role/r");
    assertEquals(directory.err(), 2, directory.code());
    assertThat(directory.err(), containsString("--targetRoleArn applies to an s3:// side; --target=" + tmp.getRoot()
        + " is a directory"));
  }
}
