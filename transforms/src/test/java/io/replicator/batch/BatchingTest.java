package io.replicator.batch;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.StagedLine;
import io.replicator.common.ByteSize;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

public class BatchingTest {
  @Test
  public void utf8SizeIsTheSizeOfTheWrittenLineAndTheByteWriterWritesIt() {
    for (Change c : List.of(
        new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(5), "\"id\":1,\"설명\":\"한국어 😀\""),
        new Change("t", ChangeOp.DELETE, "[1]", Sequence.of(-5, 1L << 50, 3), "\"id\":1"),
        new Change("t", ChangeOp.DELETE, "[1]", Sequence.of(0, 10, 999, Long.MIN_VALUE), "\"id\":1"),
        new Change("t", ChangeOp.DELETE, "[1]", Sequence.of(999_999_999_999_999_999L, 9_999_999_999_999_999L,
            Long.MAX_VALUE), "\"id\":1"),
        new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(6), "\"id\":1", "[\"doc\",\"설명\"]"),
        // A change read back from a spill file keeps its row as UTF-8 bytes.
        Change.ofUtf8Row("t", ChangeOp.UPSERT, "[2]", Sequence.of(Long.MAX_VALUE, -1),
            "\"id\":2,\"설명\":\"é 😀\"".getBytes(StandardCharsets.UTF_8), "[\"doc\"]"))) {
      for (int step : new int[] {0, 1, 12}) {
        StringBuilder sb = new StringBuilder();
        StagedLine.append(sb, c, step, "0123456789abcdef");
        sb.append('\n');
        assertEquals(sb.toString().getBytes(StandardCharsets.UTF_8).length, StagedLine.utf8Size(c, step));
        // The byte writer staging uses writes exactly the line, and says how long it was.
        java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
        try {
          long n = new StagedLine.Encoder("0123456789abcdef").write(written, c, step);
          assertEquals(sb.toString(), written.toString(StandardCharsets.UTF_8));
          assertEquals(written.size(), n);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    }
  }

  @Test
  public void stagedLineCarriesOpSequenceAndBatch() {
    StringBuilder sb = new StringBuilder();
    StagedLine.append(sb, new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(7, 2), "\"id\":1"), "0123456789abcdef");
    assertEquals("{\"id\":1,\"_op\":\"UPSERT\",\"_sequence_num\":7,\"_sequence_num_2\":2,\"_batch_id\":\"0123456789abcdef\"}", sb.toString());
    sb.setLength(0);
    StagedLine.append(sb, new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(8), "\"id\":1", "[\"doc\"]"), 2,
        "0123456789abcdef");
    assertEquals("{\"id\":1,\"_op\":\"UPSERT\",\"_sequence_num\":8,\"_unchanged\":[\"doc\"],\"_step\":2,"
        + "\"_batch_id\":\"0123456789abcdef\"}", sb.toString());
  }

  @Test
  public void batchCountLeavesRoomForAnUnevenHash() {
    assertEquals(1, BatchPlan.batchCount(0, 0, 1000, 100));
    assertEquals(2, BatchPlan.batchCount(1000, 10, 1000, 100));
    assertEquals(15, BatchPlan.batchCount(10_000, 10, 1000, 100));
    assertEquals(15, BatchPlan.batchCount(10, 1000, 1 << 20, 100));
    // Mid-sized inputs get a few batches, so they are staged side by side.
    assertEquals(1, BatchPlan.batchCount(90 << 20, 49_999, 256L << 20, 5_000_000));
    assertEquals(2, BatchPlan.batchCount(90 << 20, 100_000, 256L << 20, 5_000_000));
    assertEquals(4, BatchPlan.batchCount(90 << 20, 500_000, 256L << 20, 5_000_000));
  }

  @Test
  public void batchOfIsStableAndSpreads() {
    int[] counts = new int[8];
    for (int i = 0; i < 8000; i++) {
      counts[StageBatches.batchOf("[" + i + "]", 8)]++;
    }
    for (int c : counts) {
      assertTrue("uneven: " + c, c > 800 && c < 1200);
    }
    assertEquals(StageBatches.batchOf("[\"x\"]", 13), StageBatches.batchOf("[\"x\"]", 13));
  }

  @Test
  public void batchIdDependsOnContentOnly() {
    List<Change> a = new ArrayList<>(List.of(new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(1), "\"id\":1")));
    String id = BatchId.of("t", a);
    assertEquals(StagedLine.BATCH_ID_LENGTH, id.length());
    assertEquals(id, BatchId.of("t", List.of(new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(1), "\"id\":1"))));
    assertNotEquals(id, BatchId.of("u", a));
    assertNotEquals(id, BatchId.of("t", List.of(new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(2), "\"id\":1"))));
  }

  /**
   * A batch's id is what a warehouse recognises an applied batch by, so it may not change between
   * versions: the id of every kind of change (keys in any script, lone surrogates, long keys,
   * sequences of every width, deletes, partial rows) equals the digest as first specified, one
   * update per field.
   */
  @Test
  public void batchIdIsTheDigestAsFirstSpecified() throws Exception {
    java.util.Random random = new java.util.Random(17);
    String[] pieces = {"a", "Z9", "\"", "é", "日本", "\uD83D\uDE00", "\uD800", "x".repeat(70), "[", ",", "0"};
    for (int round = 0; round < 200; round++) {
      List<Change> changes = new ArrayList<>();
      for (int i = random.nextInt(30); i >= 0; i--) {
        StringBuilder key = new StringBuilder("[");
        for (int p = random.nextInt(6); p >= 0; p--) {
          key.append(pieces[random.nextInt(pieces.length)]);
        }
        long[] parts = new long[1 + random.nextInt(Sequence.MAX_PARTS)];
        for (int p = 0; p < parts.length; p++) {
          parts[p] = random.nextBoolean() ? random.nextLong() : random.nextInt(1000);
        }
        String row = "\"v\":\"" + pieces[random.nextInt(pieces.length)] + "\"";
        changes.add(switch (random.nextInt(3)) {
          case 0 -> new Change("t", ChangeOp.DELETE, key + "]", Sequence.of(parts), row);
          case 1 -> new Change("t", ChangeOp.UPSERT, key + "]", Sequence.of(parts), row, "[\"b\",\"é\"]");
          default -> new Change("t", ChangeOp.UPSERT, key + "]", Sequence.of(parts), row);
        });
      }
      String table = round % 2 == 0 ? "t" : "tablé";
      assertEquals(firstSpecified(table, changes), BatchId.of(table, changes));
    }
  }

  private static String firstSpecified(String table, List<Change> changes) throws Exception {
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    sha.update(table.getBytes(StandardCharsets.UTF_8));
    for (Change c : changes) {
      sha.update((byte) '\n');
      sha.update((byte) c.op().ordinal());
      sha.update(c.key().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      for (int i = 0; i < c.sequence().width(); i++) {
        long part = c.sequence().part(i);
        for (int b = 56; b >= 0; b -= 8) {
          sha.update((byte) (part >>> b));
        }
      }
      sha.update((byte) 0);
      sha.update(c.rowUtf8());
      if (c.isPartial()) {
        sha.update((byte) 0);
        sha.update(c.unchanged().getBytes(StandardCharsets.UTF_8));
      }
    }
    return java.util.HexFormat.of().formatHex(sha.digest(), 0, StagedLine.BATCH_ID_LENGTH / 2);
  }

  @Test
  public void sizesParseWithUnits() {
    assertEquals(256L << 20, ByteSize.parse("256MB"));
    assertEquals(64L << 10, ByteSize.parse("64 KiB"));
    assertEquals(3L << 29, ByteSize.parse("1.5GB"));
    assertEquals(1000, ByteSize.parse("1000"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("lots")).getMessage()
        .contains("'lots' is not a size"));
    assertEquals("1.5 MB", ByteSize.format(3L << 19));
  }

  @Test
  public void tableNamesBecomeOnePathSegment() {
    assertEquals("spind_dly", StagingPaths.safeName("spind_dly"));
    assertEquals("a%2Fb%20c", StagingPaths.safeName("a/b c"));
    assertEquals("%2E%2E", StagingPaths.safeName(".."));
    assertEquals("public%2Et", StagingPaths.safeName("public.t"));
  }
}
