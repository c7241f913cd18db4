package io.replicator.warehouse;

import static org.junit.Assert.assertEquals;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.DeleteMode;
import io.replicator.change.Sequence;
import io.replicator.change.StagedBatch;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.testing.SqlRows;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import io.replicator.warehouse.duckdb.DuckDbWarehouseTest;
import io.replicator.warehouse.spi.MergeResult;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class MergeBatchesTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson("[{\"name\":\"id\",\"type\":\"INT64\","
      + "\"mode\":\"REQUIRED\"},{\"name\":\"title\",\"type\":\"STRING\"},{\"name\":\"body\",\"type\":\"STRING\"}]",
      List.of("id"));
  private static final TargetTable DOCS = new TargetTable("docs", SCHEMA, DeleteMode.HARD);
  private static final TargetTable NOTES = new TargetTable("notes", SCHEMA, DeleteMode.HARD);
  private static final Duration TEN_SECONDS = Duration.standardSeconds(10);

  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private StagedBatch stage(TargetTable table, Change... changes) throws Exception {
    return DuckDbWarehouseTest.stage(tmp.newFolder().toPath(), table.name(), List.of(changes));
  }

  private static Change full(TargetTable t, int id, String title, String body, long seq) {
    return new Change(t.name(), ChangeOp.UPSERT, "[" + id + "]", Sequence.of(seq),
        "\"id\":" + id + ",\"title\":\"" + title + "\",\"body\":\"" + body + "\"");
  }

  /** An update that sets the title and leaves the body as it is (a TOASTed column it did not touch). */
  private static Change titleOnly(TargetTable t, int id, String title, long seq) {
    return new Change(t.name(), ChangeOp.UPSERT, "[" + id + "]", Sequence.of(seq),
        "\"id\":" + id + ",\"title\":\"" + title + "\",\"body\":null", "[\"body\"]");
  }

  private static TimestampedValue<StagedBatch> endOfWindow(StagedBatch b, int window) {
    return TimestampedValue.of(b, new Instant(0).plus(TEN_SECONDS.multipliedBy(window + 1)).minus(Duration.millis(1)));
  }

  private static IntervalWindow window(int w) {
    return new IntervalWindow(new Instant(0).plus(TEN_SECONDS.multipliedBy(w)), TEN_SECONDS);
  }

  @Test
  public void aTablesWindowsAreMergedInWindowOrderWhateverOrderTheirBatchesComeIn() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("w.duckdb");
    try (DuckDbWarehouse w = DuckDbWarehouse.open(file)) {
      w.ensureTables(DOCS);
      w.ensureTables(NOTES);
    }
    // Each later window's update leaves the body out: it is right only over the window before it.
    StagedBatch docs0 = stage(DOCS, full(DOCS, 1, "t0", "b0", 1), full(DOCS, 2, "u0", "c0", 1));
    StagedBatch docs1 = stage(DOCS, titleOnly(DOCS, 1, "t1", 2));
    StagedBatch docs1b = stage(DOCS, full(DOCS, 2, "u1", "c1", 2));
    StagedBatch docs2 = stage(DOCS, titleOnly(DOCS, 1, "t2", 3), titleOnly(DOCS, 2, "u2", 3));
    StagedBatch notes0 = stage(NOTES, full(NOTES, 7, "n0", "m0", 1));
    StagedBatch notes2 = stage(NOTES, titleOnly(NOTES, 7, "n2", 2));
    // Every batch is ready before the watermark moves, the latest windows first.
    TestStream<StagedBatch> batches = TestStream.create(StagedBatch.coder())
        .addElements(endOfWindow(docs2, 2), endOfWindow(notes2, 2), endOfWindow(docs1b, 1), endOfWindow(docs1, 1),
            endOfWindow(docs0, 0), endOfWindow(notes0, 0))
        .advanceWatermarkToInfinity();

    PCollection<MergeResult> merged = p.apply(batches)
        .apply(Window.into(FixedWindows.of(TEN_SECONDS)))
        .apply(MergeBatches.into(WarehouseSpec.parse("duckdb:" + file), List.of(DOCS, NOTES)).inWindowOrder());
    PCollection<String> applied = merged.apply(MapElements.into(TypeDescriptors.strings())
        .via(r -> r.table() + ":" + r.batchId() + (r.partialWithoutBase().isEmpty() ? "" : " without base")));
    // Each result comes out in its batch's window, and no partial row lacked its base.
    PAssert.that(applied).inWindow(window(0)).containsInAnyOrder(
        "docs:" + docs0.batchId(), "notes:" + notes0.batchId());
    PAssert.that(applied).inWindow(window(1)).containsInAnyOrder(
        "docs:" + docs1.batchId(), "docs:" + docs1b.batchId());
    PAssert.that(applied).inWindow(window(2)).containsInAnyOrder(
        "docs:" + docs2.batchId(), "notes:" + notes2.batchId());
    p.run().waitUntilFinish();

    try (DuckDbWarehouse w = DuckDbWarehouse.open(file)) {
      assertEquals(List.of("1|t2|b0", "2|u2|c1"),
          SqlRows.sorted(w.connection(), "SELECT id || '|' || title || '|' || body FROM docs"));
      assertEquals(List.of("7|n2|m0"),
          SqlRows.sorted(w.connection(), "SELECT id || '|' || title || '|' || body FROM notes"));
    }
  }
}
