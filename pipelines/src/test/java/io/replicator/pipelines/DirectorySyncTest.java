package io.replicator.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.replicator.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code s3-sync} between a local directory and a bucket on a real S3-compatible server (S3Proxy on
 * loopback), both ways, as a user runs it: the command line, the exit code, the summary, the
 * report, the bucket and the directory after.
 */
public class DirectorySyncTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static S3ProxyServer server;
  private static Path credentials;
  private static int buckets;

  private S3Client client;
  private String bucket;

  /** Names a sync must carry over untouched: spaces, '+', '%', non-ASCII, a deep path, an empty file. */
  private static final Map<String, String> FILES = Map.of(
      "a b.txt", "spaces", "plus+sign.csv", "a,b\n1,2\n", "per%20cent.json", "{\"x\":1}",
      "한국어/파일.txt", "non-ASCII", "d1/d2/d3/d4/d5/deep.bin", "deep", "empty.txt", "");

  @BeforeClass
  public static void startServer() throws Exception {
    server = S3ProxyServer.start("identity-dir", "credential-dir");
    credentials = Files.createTempFile("aws-credentials", "");
    Files.writeString(credentials, "[dir]\naws_access_key_id = identity-dir\naws_secret_access_key = credential-dir\n");
    System.setProperty("aws.sharedCredentialsFile", credentials.toString());
  }

  @AfterClass
  public static void stopServer() {
    server.close();
  }

  @Before
  public void bucket() {
    client = server.client();
    bucket = "dir-sync-" + (++buckets);
    client.createBucket(b -> b.bucket(bucket));
  }

  private Replication.Outcome sync(String source, String target, String... extra) {
    List<String> args = new ArrayList<>(List.of("s3-sync", "--source=" + source, "--target=" + target));
    if (source.startsWith("s3://")) {
      args.addAll(List.of("--sourceEndpoint=" + server.endpoint(), "--sourceProfile=dir"));
    }
    if (target.startsWith("s3://")) {
      args.addAll(List.of("--targetEndpoint=" + server.endpoint(), "--targetProfile=dir"));
    }
    args.add("--pathStyle=true");
    args.addAll(List.of(extra));
    return Replication.cli(args.toArray(String[]::new));
  }

  private Path tree(String name) throws Exception {
    Path dir = tmp.newFolder(name).toPath();
    for (Map.Entry<String, String> f : FILES.entrySet()) {
      Files.createDirectories(dir.resolve(f.getKey()).getParent());
      Files.writeString(dir.resolve(f.getKey()), f.getValue());
    }
    return dir;
  }

  /** Every file below {@code dir}, by its path with '/', and its bytes. */
  private static Map<String, byte[]> files(Path dir) throws Exception {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  private Map<String, byte[]> objects(String prefix) {
    Map<String, byte[]> out = new TreeMap<>();
    for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
      out.put(o.key().substring(prefix.length()),
          client.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asByteArray());
    }
    return out;
  }

  private static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    expected.forEach((k, v) -> assertArrayEquals(k, v, actual.get(k)));
  }

  @Test
  public void aDirectoryGoesToABucketAndBackByteForByte() throws Exception {
    Path up = tree("up");
    byte[] large = new byte[12 << 20]; // above the threshold below: uploaded and downloaded in parts
    new Random(7).nextBytes(large);
    Files.write(up.resolve("d1/large.bin"), large);
    Files.createSymbolicLink(up.resolve("link.txt"), up.resolve("a b.txt")); // followed, as aws follows it
    // Written a minute before the sync: S3 keeps times to the second, so a file written in the second
    // of its upload looks newer than its copy and is copied again.
    try (Stream<Path> all = Files.walk(up)) {
      for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
        Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
      }
    }
    Map<String, byte[]> expected = files(up);
    expected.put("link.txt", "spaces".getBytes());

    Replication.Outcome first = sync(up.toString(), "s3://" + bucket + "/up", "--multipartThreshold=5MB",
        "--multipartChunkSize=5MB");
    assertEquals(first.err() + first.out(), 0, first.code());
    assertThat(first.out(), containsString("s3-sync " + up + "/ -> s3://" + bucket + "/up/"));
    assertThat(first.out(), containsString("copied      8 objects"));
    assertSameFiles(expected, objects("up/"));
    assertEquals("text/csv", client.headObject(b -> b.bucket(bucket).key("up/plus+sign.csv")).contentType());
    assertEquals("application/json", client.headObject(b -> b.bucket(bucket).key("up/per%20cent.json")).contentType());

    Replication.Outcome again = sync(up.toString(), "s3://" + bucket + "/up");
    assertEquals(again.err(), 0, again.code());
    assertThat(again.out(), containsString("copied      0 objects"));
    assertThat(again.out(), containsString("skipped     8 objects"));

    Path down = tmp.getRoot().toPath().resolve("down/not yet made");
    Path report = tmp.getRoot().toPath().resolve("report.jsonl");
    Replication.Outcome back = sync("s3://" + bucket + "/up/", down.toString(), "--report=" + report);
    assertEquals(back.err() + back.out(), 0, back.code());
    assertSameFiles(expected, files(down));
    long listed = client.headObject(b -> b.bucket(bucket).key("up/d1/large.bin")).lastModified().toEpochMilli();
    assertEquals("a download has the object's time", listed,
        Files.getLastModifiedTime(down.resolve("d1/large.bin")).toMillis());
    assertEquals("copied", S3SyncTest.lines(report).get("한국어/파일.txt").get("action").asText());
    try (Stream<Path> all = Files.walk(down)) {
      assertTrue("no partial file left", all.noneMatch(p -> p.toString().endsWith(".replicator-partial")));
    }

    Replication.Outcome backAgain = sync("s3://" + bucket + "/up/", down.toString());
    assertEquals(backAgain.err(), 0, backAgain.code());
    assertThat(backAgain.out(), containsString("copied      0 objects"));
  }

  @Test
  public void deletesGoBothWaysAndExcludedFilesAreNeverDeleted() throws Exception {
    Path up = tree("up");
    client.putObject(b -> b.bucket(bucket).key("up/gone.txt"), RequestBody.fromString("only in the bucket"));
    client.putObject(b -> b.bucket(bucket).key("up/keep.log"), RequestBody.fromString("excluded"));
    Replication.Outcome o = sync(up.toString(), "s3://" + bucket + "/up", "--delete=true", "--exclude=*.log");
    assertEquals(o.err() + o.out(), 0, o.code());
    assertThat(o.out(), containsString("deleted     1 objects"));
    Map<String, byte[]> expected = files(up);
    expected.put("keep.log", "excluded".getBytes());
    assertSameFiles(expected, objects("up/"));

    Path down = tree("down");
    Files.writeString(down.resolve("d1/extra.txt"), "only here");
    Files.writeString(down.resolve("local.log"), "excluded here");
    Files.writeString(down.resolve("a b.txt"), "an older, longer body");
    Replication.Outcome back = sync("s3://" + bucket + "/up", down.toString(), "--delete=true", "--exclude=*.log");
    assertEquals(back.err() + back.out(), 0, back.code());
    Map<String, byte[]> local = files(down);
    assertFalse(local.containsKey("d1/extra.txt"));
    assertEquals("excluded here", new String(local.get("local.log")));
    assertFalse("excluded at the source: not downloaded", local.containsKey("keep.log"));
    assertEquals("spaces", new String(local.get("a b.txt")));
  }

  @Test
  public void unreadableFilesAreReportedAndKeepTheirCopiesAndEveryDelete() throws Exception {
    Path up = tree("up");
    Files.createSymbolicLink(up.resolve("dangling.txt"), up.resolve("no such file"));
    client.putObject(b -> b.bucket(bucket).key("up/dangling.txt"), RequestBody.fromString("kept"));
    client.putObject(b -> b.bucket(bucket).key("up/extra.txt"), RequestBody.fromString("not deleted either"));
    Path report = tmp.getRoot().toPath().resolve("report.jsonl");
    Replication.Outcome o = sync(up.toString(), "s3://" + bucket + "/up", "--delete=true", "--report=" + report);
    assertEquals(o.out(), 1, o.code());
    assertThat(o.out(), containsString("failed      1 objects"));
    JsonNode line = S3SyncTest.lines(report).get("dangling.txt");
    assertEquals("failed", line.get("action").asText());
    assertEquals("the source file cannot be read: a symbolic link to nothing", line.get("reason").asText());
    assertThat(S3SyncTest.lines(report).get("extra.txt").get("reason").asText(), containsString("deletes wait for every copy"));
    assertEquals("kept", new String(objects("up/").get("dangling.txt")));
    assertTrue(objects("up/").containsKey("extra.txt"));
    assertTrue(objects("up/").containsKey("a b.txt"));
  }

  @Test
  public void aKeyThatCannotBeAFileHereFailsAloneWithItsReason() throws Exception {
    // The key x is a directory here: it cannot be written, and the rest is.
    client.putObject(b -> b.bucket(bucket).key("in/x"), RequestBody.fromString("a file"));
    client.putObject(b -> b.bucket(bucket).key("in/fine.txt"), RequestBody.fromString("fine"));
    Path down = tmp.newFolder("down").toPath();
    Files.createDirectories(down.resolve("x"));
    Files.writeString(down.resolve("x/keep.txt"), "kept");
    Path report = tmp.getRoot().toPath().resolve("report.jsonl");
    Replication.Outcome o = sync("s3://" + bucket + "/in", down.toString(), "--report=" + report);
    assertEquals(o.out(), 1, o.code());
    assertThat(o.out(), containsString("copied      1 objects"));
    assertThat(o.out(), containsString("failed      1 objects"));
    assertEquals("fine", Files.readString(down.resolve("fine.txt")));
    assertEquals("kept", Files.readString(down.resolve("x/keep.txt")));
    assertThat(S3SyncTest.lines(report).get("x").get("reason").asText(), containsString("copying s3://" + bucket + "/in/x to "
        + down + "/: "));
    try (Stream<Path> all = Files.walk(down)) {
      assertTrue("no partial file left", all.noneMatch(p -> p.toString().endsWith(".replicator-partial")));
    }
  }

  @Test
  public void optionsThatDoNotFitADirectoryAreRefusedByName() throws Exception {
    Path up = tree("up");
    Replication.Outcome endpoint = sync(up.toString(), "s3://" + bucket + "/up", "--sourceEndpoint=http://x:1");
    assertEquals(endpoint.err(), 2, endpoint.code());
    assertThat(endpoint.err(), containsString("--sourceEndpoint applies to an s3:// side; --source=" + up
        + " is a directory"));
    Replication.Outcome etag = sync(up.toString(), "s3://" + bucket + "/up", "--compare=etag");
    assertEquals(2, etag.code());
    assertThat(etag.err(), containsString("--compare=etag compares S3 ETags, which a directory does not have"));
    Replication.Outcome missing = sync(up.resolve("nope").toString(), "s3://" + bucket + "/up");
    assertEquals(2, missing.code());
    assertThat(missing.err(), containsString("--source=" + up.resolve("nope") + "/: no such directory"));
    Replication.Outcome overlap = sync(up.toString(), up.resolve("d1").toString());
    assertEquals(2, overlap.code());
    assertThat(overlap.err(), containsString("overlap"));
    Replication.Outcome storage = sync("s3://" + bucket + "/up", up.toString(), "--storageClass=GLACIER");
    assertEquals(2, storage.code());
    assertThat(storage.err(), containsString("--storageClass applies to objects written to S3"));
    Replication.Outcome dataflow = sync(up.toString(), "s3://" + bucket + "/up", "--runner=DataflowRunner",
        "--project=p", "--region=europe-west1");
    assertEquals(2, dataflow.code());
    assertThat(dataflow.err(), containsString("which Dataflow's workers cannot see: use gs:// or s3://"));
  }

  @Test
  public void aBucketToGcsSyncTranslatesForDataflow() throws Exception {
    client.putObject(b -> b.bucket(bucket).key("in/x.txt"), RequestBody.fromString("x"));
    Path dir = tmp.getRoot().toPath();
    Path small = Files.writeString(dir.resolve("staged.txt"), "the only file to stage");
    // A local run leaves Beam with the local file system only, as a fresh process starts.
    Path from = Files.createDirectories(dir.resolve("from"));
    Files.writeString(from.resolve("f.txt"), "f");
    assertEquals(0, sync(from.toString(), dir.resolve("to").toString()).code());
    Replication.Outcome o = sync("s3://" + bucket + "/in", "gs://archive-bucket/copy", "--delete=true",
        "--runner=DataflowRunner", "--project=my-project", "--region=europe-west1",
        "--templateLocation=" + dir.resolve("template.json"), "--stagingLocation=" + dir.resolve("df-staging"),
        "--gcpTempLocation=" + dir.resolve("temp"),
        "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
        "--filesToStage=" + small);
    assertEquals(o.err(), 0, o.code());
    String job = Files.readString(dir.resolve("template.json"));
    for (String step : List.of("List source", "List target/List files", "Plan", "Copy", "Delete")) {
      assertThat(step, job, containsString(step));
    }
    assertThat(job, containsString("gs://archive-bucket/copy/"));
    assertFalse("no credential in the job", job.contains("credential-dir"));
  }
}
