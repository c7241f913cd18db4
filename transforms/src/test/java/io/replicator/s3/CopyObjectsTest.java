package io.replicator.s3;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.testing.S3ProxyServer;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** Copies and deletes against S3Proxy, through the transforms, with what the plan listed. */
public class CopyObjectsTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static S3ProxyServer server;
  private static S3Endpoint endpoint;
  private static int n;
  private S3Client client;
  private S3Location source;
  private S3Location target;

  @BeforeClass
  public static void start() throws Exception {
    server = S3ProxyServer.start("copy-identity", "copy-credential");
    endpoint = server.asDefaultEndpoint();
  }

  @AfterClass
  public static void stop() {
    server.close();
  }

  @Before
  public void buckets() {
    client = server.client();
    n++;
    client.createBucket(b -> b.bucket("src-" + n));
    client.createBucket(b -> b.bucket("dst-" + n));
    source = new S3Location("src-" + n, "in/");
    target = new S3Location("dst-" + n, "out/");
  }

  private ObjectInfo put(String key, byte[] body) {
    String etag = client.putObject(b -> b.bucket(source.bucket()).key(source.key(key)).contentType("x/y"),
        RequestBody.fromBytes(body)).eTag().replace("\"", "");
    return new ObjectInfo(key, body.length, etag, System.currentTimeMillis(), "STANDARD");
  }

  private static CopySettings settings(boolean dryRun) {
    return new CopySettings(5L << 20, 5L << 20, null, null, null, null, dryRun, CopySettings.DEFAULT_IN_FLIGHT);
  }

  private static PCollection<String> summarized(PCollection<SyncResult> results) {
    return results.apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.key() + " " + r.action() + ": " + r.reason()));
  }

  @Test
  public void aSourceReplacedAfterTheListingIsReportedNotCopied() {
    ObjectInfo small = put("small.txt", "first version".getBytes());
    ObjectInfo big = put("big.bin", new byte[11 << 20]);
    put("small.txt", "second version, longer".getBytes());
    put("big.bin", new byte[12 << 20]);
    List<SyncAction> planned = List.of(
        new SyncAction("small.txt", SyncAction.Kind.COPY, "missing at the target", small, null),
        new SyncAction("big.bin", SyncAction.Kind.COPY, "missing at the target", big, null));
    PCollection<SyncResult> results = p.apply(Create.of(planned).withCoder(SyncAction.coder()))
        .apply(CopyObjects.between(endpoint, source, endpoint, target, settings(false)));
    String why = "the source object changed since it was listed (run again to copy its new version)";
    PAssert.that(summarized(results)).containsInAnyOrder("small.txt failed: " + why, "big.bin failed: " + why);
    p.run();
    assertEquals(0, client.listObjectsV2(b -> b.bucket(target.bucket())).keyCount().intValue());
    assertTrue(client.listMultipartUploads(b -> b.bucket(target.bucket())).uploads().isEmpty());
  }

  @Test
  public void noDeleteRunsWhileAnyCopyFailed() {
    client.putObject(b -> b.bucket(target.bucket()).key(target.key("extra.txt")), RequestBody.fromString("x"));
    ObjectInfo extra = new ObjectInfo("extra.txt", 1, "e", 1, "STANDARD");
    PCollectionView<Long> failed = p.apply("Failed", Create.of(1L)).apply("F", View.asSingleton());
    PCollectionView<Long> planned = p.apply("Planned", Create.of(1L)).apply("P", View.asSingleton());
    PCollection<SyncResult> results = p
        .apply(Create.of(new SyncAction("extra.txt", SyncAction.Kind.DELETE, "not at the source", null, extra))
            .withCoder(SyncAction.coder()))
        .apply(DeleteObjects.from(new SyncSide.Bucket(endpoint, target), failed, planned));
    PAssert.that(summarized(results)).containsInAnyOrder(
        "extra.txt skipped: not deleted: 1 copies failed, and deletes wait for every copy");
    p.run();
    assertEquals(1, client.listObjectsV2(b -> b.bucket(target.bucket())).keyCount().intValue());
  }

  @Test
  public void aBoundedCopyStillCopiesEverything() {
    List<SyncAction> planned = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ObjectInfo o = put("f" + i, ("body " + i).getBytes());
      planned.add(new SyncAction(o.key(), SyncAction.Kind.COPY, "missing at the target", o, null));
    }
    PCollection<SyncResult> results = p.apply(Create.of(planned).withCoder(SyncAction.coder()))
        .apply(CopyObjects.between(endpoint, source, endpoint, target, settings(false)).withMaxThroughput(1e9, 4));
    PAssert.that(summarized(results)).containsInAnyOrder("f0 copied: missing at the target",
        "f1 copied: missing at the target", "f2 copied: missing at the target", "f3 copied: missing at the target",
        "f4 copied: missing at the target", "f5 copied: missing at the target");
    p.run();
    assertEquals(6, client.listObjectsV2(b -> b.bucket(target.bucket())).keyCount().intValue());
  }
}
