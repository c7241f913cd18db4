package io.replicator.s3;

import static org.junit.Assert.assertEquals;

import io.replicator.testing.S3ProxyServer;
import java.util.List;
import java.util.TreeSet;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The whole s3-sync flow against S3Proxy: listed, planned, copied, deleted, reported. */
public class SyncObjectsTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static S3ProxyServer server;
  private static S3Endpoint endpoint;

  @BeforeClass
  public static void start() throws Exception {
    server = S3ProxyServer.start("sync-identity", "sync-credential");
    endpoint = server.asDefaultEndpoint();
  }

  @AfterClass
  public static void stop() {
    server.close();
  }

  @Test
  public void copiesWhatDiffersDeletesWhatIsGoneAndReportsEveryKey() {
    S3Client client = server.client();
    client.createBucket(b -> b.bucket("sync-src"));
    client.createBucket(b -> b.bucket("sync-dst"));
    for (String key : List.of("a.txt", "dir/b.txt", "skip.tmp", "same.txt")) {
      client.putObject(b -> b.bucket("sync-src").key("in/" + key), RequestBody.fromString("body of " + key));
    }
    client.putObject(b -> b.bucket("sync-dst").key("out/same.txt"), RequestBody.fromString("body of same.txt"));
    client.putObject(b -> b.bucket("sync-dst").key("out/gone.txt"), RequestBody.fromString("old"));
    client.putObject(b -> b.bucket("sync-dst").key("out/kept.tmp"), RequestBody.fromString("excluded: never deleted"));
    CopySettings copy = new CopySettings(5L << 20, 5L << 20, null, null, null, null, false,
        CopySettings.DEFAULT_IN_FLIGHT);

    PCollection<String> report = p.apply(SyncObjects.between(endpoint, new S3Location("sync-src", "in/"), endpoint,
            new S3Location("sync-dst", "out/"), copy)
        .filtering(new KeyFilter(List.of(new KeyFilter.Rule(false, "*.tmp"))))
        .deleting(-1));
    PAssert.that(report.apply(MapElements.into(TypeDescriptors.strings())
            .via(line -> line.replaceAll(".*\"key\":\"([^\"]*)\",\"action\":\"([^\"]*)\".*", "$1 $2"))))
        .containsInAnyOrder("a.txt copied", "dir/b.txt copied", "same.txt skipped", "gone.txt deleted",
            "skip.tmp excluded", "kept.tmp excluded");
    p.run().waitUntilFinish();

    TreeSet<String> keys = new TreeSet<>();
    client.listObjectsV2Paginator(b -> b.bucket("sync-dst")).contents().forEach(o -> keys.add(o.key()));
    assertEquals(new TreeSet<>(List.of("out/a.txt", "out/dir/b.txt", "out/kept.tmp", "out/same.txt")), keys);
  }
}
