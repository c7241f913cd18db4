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
   * versions: the ids of these batches (keys in several scripts, an emoji, a lone surrogate, a long
   * key, sequences of every width, a delete, a partial row) are the ones first specified.
   */
  @Test
  public void batchIdsStayAsFirstSpecified() {
    assertEquals("78889099ff762a96",
        BatchId.of("t", List.of(new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(1), "\"id\":1"))));
    List<Change> adversarial = List.of(
        new Change("tablé", ChangeOp.DELETE, "[\"é\",\"日本\"]", Sequence.of(5, 0, 12), "\"k\":\"é\""),
        new Change("tablé", ChangeOp.UPSERT, "[\"\uD83D\uDE00\",\"\uD800\"]", Sequence.of(-1, 2, 3, Long.MAX_VALUE),
            "\"v\":null", "[\"b\",\"é\"]"),
        new Change("tablé", ChangeOp.UPSERT, "[\"" + "x".repeat(70) + "\"]", Sequence.of(7, 1), "\"v\":\"日本\""));
    assertEquals("8e7452b75746ffc0", BatchId.of("tablé", adversarial));
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
