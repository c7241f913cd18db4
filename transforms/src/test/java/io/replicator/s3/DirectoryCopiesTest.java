package io.replicator.s3;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import io.replicator.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Random;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Uploads and downloads of single keys against S3Proxy, where the source file is not what the
 * listing saw: changed before it is read, or grown while it is read (its time set back, so only
 * what is read can tell). Nothing of such a file is committed at the target.
 */
public class DirectoryCopiesTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static S3ProxyServer server;
  private static S3Endpoint endpoint;
  private static int n;
  private S3Client client;
  private SyncSide.Bucket bucket;
  private Directory dir;
  private final CopySettings settings = new CopySettings(5L << 20, 5L << 20, null, null, null, null, false, 4);

  @BeforeClass
  public static void start() throws Exception {
    server = S3ProxyServer.start("dir-identity", "dir-credential");
    endpoint = server.asDefaultEndpoint();
  }

  @AfterClass
  public static void stop() {
    server.close();
  }

  @Before
  public void sides() throws Exception {
    client = server.client();
    String name = "files-" + (++n);
    client.createBucket(b -> b.bucket(name));
    bucket = new SyncSide.Bucket(endpoint, new S3Location(name, "up/"));
    dir = Directory.parse("--source", tmp.newFolder("src").toString());
  }

  private String upload(String key, ObjectInfo listed) throws Exception {
    return new DirectoryCopies(dir, bucket, settings).copy(key, listed, null);
  }

  private boolean inBucket(String key) {
    return client.listObjectsV2(b -> b.bucket(bucket.location().bucket()).prefix("up/" + key)).keyCount() > 0;
  }

  /** Writes {@code body} to the file, keeping the modification time it had. */
  private void rewriteKeepingTime(String key, byte[] body) throws Exception {
    Path file = Path.of(dir.root(), key);
    FileTime time = Files.getLastModifiedTime(file);
    Files.write(file, body);
    Files.setLastModifiedTime(file, time);
  }

  @Test
  public void aFileChangedSinceItWasListedIsNotUploaded() throws Exception {
    Files.writeString(Path.of(dir.root(), "a.txt"), "first");
    ObjectInfo listed = dir.current("a.txt");
    Files.writeString(Path.of(dir.root(), "a.txt"), "second, longer");
    Files.setLastModifiedTime(Path.of(dir.root(), "a.txt"), FileTime.fromMillis(listed.lastModified() + 5_000));
    SourceChangedException e = assertThrows(SourceChangedException.class, () -> upload("a.txt", listed));
    assertThat(e.getMessage(), containsString("the source a.txt changed since it was listed (5 bytes then)"));
    assertFalse(inBucket("a.txt"));

    Files.delete(Path.of(dir.root(), "a.txt"));
    e = assertThrows(SourceChangedException.class, () -> upload("a.txt", listed));
    assertThat(e.getMessage(), containsString("was removed since it was listed"));
  }

  @Test
  public void aFileThatGrowsWhileReadIsNotUploadedInOnePieceOrInParts() throws Exception {
    Files.writeString(Path.of(dir.root(), "small.txt"), "12345");
    ObjectInfo small = dir.current("small.txt");
    rewriteKeepingTime("small.txt", "1234567890".getBytes());
    assertThrows(SourceChangedException.class, () -> upload("small.txt", small));
    assertFalse(inBucket("small.txt"));

    byte[] body = new byte[11 << 20];
    new Random(3).nextBytes(body);
    Files.write(Path.of(dir.root(), "large.bin"), body);
    ObjectInfo large = dir.current("large.bin");
    rewriteKeepingTime("large.bin", java.util.Arrays.copyOf(body, body.length + 1));
    assertThrows(SourceChangedException.class, () -> upload("large.bin", large));
    assertFalse("the multipart upload is aborted, not completed", inBucket("large.bin"));
    assertEquals(0, client.listMultipartUploads(b -> b.bucket(bucket.location().bucket())).uploads().size());

    rewriteKeepingTime("large.bin", java.util.Arrays.copyOf(body, body.length - 1));
    assertThrows(SourceChangedException.class, () -> upload("large.bin", large));
    assertFalse(inBucket("large.bin"));
  }

  @Test
  public void aDownloadIsWholeUnderItsNameOrNotThereAtAll() throws Exception {
    String etag = client.putObject(b -> b.bucket(bucket.location().bucket()).key("up/x/y.txt"),
        RequestBody.fromString("body")).eTag().replace("\"", "");
    Directory target = Directory.parse("--target", tmp.getRoot().toPath().resolve("down").toString());
    ObjectInfo listed = new ObjectInfo("x/y.txt", 4, etag, 1_700_000_000_000L, ObjectInfo.STANDARD);
    new DirectoryCopies(bucket, target, settings).copy("x/y.txt", listed, null);
    assertEquals("body", Files.readString(Path.of(target.root(), "x/y.txt")));
    assertEquals(1_700_000_000_000L, Files.getLastModifiedTime(Path.of(target.root(), "x/y.txt")).toMillis());

    // Replaced since listed: the pinned read fails and the file keeps its old content.
    client.putObject(b -> b.bucket(bucket.location().bucket()).key("up/x/y.txt"), RequestBody.fromString("new!"));
    assertThrows(software.amazon.awssdk.services.s3.model.S3Exception.class,
        () -> new DirectoryCopies(bucket, target, settings).copy("x/y.txt", listed, null));
    assertEquals("body", Files.readString(Path.of(target.root(), "x/y.txt")));
    try (var files = Files.list(Path.of(target.root(), "x"))) {
      assertEquals("no partial file left", 1, files.count());
    }
  }

  @Test
  public void aKeyThatNamesNoFileBelowTheDirectoryIsRefused() throws Exception {
    Directory target = Directory.parse("--target", tmp.newFolder("down").toString());
    for (String key : new String[] {"../escape.txt", "a/../../escape.txt", "a//b.txt", "./c.txt", "d/"}) {
      Directory.UnfitKeyException e = assertThrows(Directory.UnfitKeyException.class,
          () -> target.write(key, 0, null, out -> out.write(1)));
      assertThat(e.getMessage(), containsString("the key '" + key + "' has a name that cannot be a file name here"));
    }
    try (var files = Files.walk(tmp.getRoot().toPath())) {
      assertFalse(files.anyMatch(f -> f.getFileName().toString().contains("escape")));
    }
  }

  @Test
  public void contentTypesAreGuessedAsAwsGuessesThem() {
    assertEquals("text/csv", ContentTypes.guess("exports/orders.csv"));
    assertEquals("text/csv", ContentTypes.guess("exports/orders.csv.gz"));
    assertEquals("application/json", ContentTypes.guess("a/b.JSON"));
    assertEquals("image/png", ContentTypes.guess("logo.png"));
    assertNull(ContentTypes.guess("archive.gz"));
    assertNull(ContentTypes.guess("README"));
    assertNull(ContentTypes.guess("data.parquet"));
  }
}
