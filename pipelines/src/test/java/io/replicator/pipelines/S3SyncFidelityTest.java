package io.replicator.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import io.replicator.testing.S3MockServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.Tag;

/**
 * Tags and storage classes through a sync, on S3Mock (which keeps both): on single and multipart
 * copies, with the storage class kept or set, and archived sources left alone and reported.
 */
public class S3SyncFidelityTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private static S3MockServer mock;
  private static S3Client client;

  @BeforeClass
  public static void start() throws Exception {
    mock = S3MockServer.start();
    client = mock.client();
    Path credentials = Files.createTempFile("aws-credentials", "");
    Files.writeString(credentials, "[mock]\naws_access_key_id = any\naws_secret_access_key = any\n");
    System.setProperty("aws.sharedCredentialsFile", credentials.toString());
  }

  @AfterClass
  public static void stop() {
    mock.close();
  }

  private int run(String target, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("s3-sync", "--source=s3://fidelity-src/in", "--target=s3://" + target,
        "--sourceEndpoint=" + mock.endpoint(), "--targetEndpoint=" + mock.endpoint(), "--sourceProfile=mock",
        "--targetProfile=mock", "--pathStyle=true", "--multipartThreshold=5MB", "--multipartChunkSize=5MB",
        "--report=" + tmp.getRoot().toPath().resolve(target + ".jsonl")));
    args.addAll(List.of(extra));
    Replication.Outcome o = Replication.cli(args.toArray(String[]::new));
    assertEquals(o.err() + o.out() + Files.readString(tmp.getRoot().toPath().resolve(target + ".jsonl")), 0, o.code());
    return o.code();
  }

  private static Map<String, String> tags(String bucket, String key) {
    Map<String, String> out = new TreeMap<>();
    for (Tag t : client.getObjectTagging(b -> b.bucket(bucket).key(key)).tagSet()) {
      out.put(t.key(), t.value());
    }
    return out;
  }

  private static StorageClass storageClass(String bucket, String key) {
    return client.headObject(b -> b.bucket(bucket).key(key)).storageClass();
  }

  @Test
  public void tagsAndStorageClassesSurviveSingleAndMultipartCopies() throws Exception {
    client.createBucket(b -> b.bucket("fidelity-src"));
    client.createBucket(b -> b.bucket("fidelity-kept"));
    client.createBucket(b -> b.bucket("fidelity-set"));
    client.putObject(b -> b.bucket("fidelity-src").key("in/small.txt").tagging("team=data&note=a b")
        .storageClass(StorageClass.STANDARD_IA).contentType("text/plain"), RequestBody.fromString("small"));
    client.putObject(b -> b.bucket("fidelity-src").key("in/big.bin").tagging("team=big")
        .storageClass(StorageClass.STANDARD_IA), RequestBody.fromBytes(new byte[11 << 20]));
    client.putObject(b -> b.bucket("fidelity-src").key("in/cold.bin").storageClass(StorageClass.GLACIER),
        RequestBody.fromString("frozen"));

    run("fidelity-kept");
    assertEquals(Map.of("note", "a b", "team", "data"), tags("fidelity-kept", "small.txt"));
    assertEquals(Map.of("team", "big"), tags("fidelity-kept", "big.bin"));
    assertEquals(StorageClass.STANDARD_IA, storageClass("fidelity-kept", "small.txt"));
    assertEquals(StorageClass.STANDARD_IA, storageClass("fidelity-kept", "big.bin"));
    assertFalse("an archived source is not copied", client.listObjectsV2(b -> b.bucket("fidelity-kept")).contents()
        .stream().anyMatch(o -> o.key().equals("cold.bin")));
    assertThat(Files.readString(tmp.getRoot().toPath().resolve("fidelity-kept.jsonl")),
        containsString("{\"key\":\"cold.bin\",\"action\":\"archived\""));

    run("fidelity-set", "--storageClass=ONEZONE_IA");
    assertEquals(StorageClass.ONEZONE_IA, storageClass("fidelity-set", "small.txt"));
    assertEquals(StorageClass.ONEZONE_IA, storageClass("fidelity-set", "big.bin"));
    assertEquals(Map.of("team", "big"), tags("fidelity-set", "big.bin"));
  }

  @Test
  public void checksumModeComparesTheAdditionalChecksums() throws Exception {
    client.createBucket(b -> b.bucket("sums-src"));
    client.createBucket(b -> b.bucket("sums-dst"));
    for (String[] o : new String[][] {{"same.txt", "abcd", "abcd"}, {"differs.txt", "abcd", "wxyz"}}) {
      client.putObject(b -> b.bucket("sums-src").key("in/" + o[0]).checksumAlgorithm("SHA256"), RequestBody.fromString(o[1]));
      client.putObject(b -> b.bucket("sums-dst").key(o[0]).checksumAlgorithm("SHA256"), RequestBody.fromString(o[2]));
    }
    List<String> args = new ArrayList<>(List.of("s3-sync", "--source=s3://sums-src/in", "--target=s3://sums-dst",
        "--sourceEndpoint=" + mock.endpoint(), "--targetEndpoint=" + mock.endpoint(), "--sourceProfile=mock",
        "--targetProfile=mock", "--pathStyle=true", "--compare=checksum",
        "--report=" + tmp.getRoot().toPath().resolve("sums.jsonl")));
    assertEquals(0, Replication.cli(args.toArray(String[]::new)).code());
    String report = Files.readString(tmp.getRoot().toPath().resolve("sums.jsonl"));
    assertThat(report, containsString("\"key\":\"same.txt\",\"action\":\"skipped\",\"reason\":\"up to date (SHA256 checksums match)\""));
    assertThat(report, containsString("\"key\":\"differs.txt\",\"action\":\"copied\",\"reason\":\"SHA256 checksum differs\""));
    assertEquals("abcd", client.getObjectAsBytes(b -> b.bucket("sums-dst").key("differs.txt")).asUtf8String());
  }
}
