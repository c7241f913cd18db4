package io.replicator.verify;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.change.DeleteMode;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.source.InputFormat;
import io.replicator.source.ReadChanges;
import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Statement;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A snapshot file against a real DuckDB target: the differing key reported, a rejected one apart. */
public class VerifyTableTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void reportsTheKeysThatDifferAndLeavesRejectedOnesOut() throws Exception {
    Path dir = tmp.getRoot().toPath();
    TableSchema schema = TableSchema.fromBigQueryJson(
        "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]",
        List.of("id"));
    TargetTable table = new TargetTable("t", schema, DeleteMode.HARD);
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb")); Statement st = w.connection().createStatement()) {
      w.ensureTables(table);
      st.execute("INSERT INTO t VALUES (1, 'a', 1), (2, 'changed', 1), (3, 'rejected at the source', 1)");
    }
    Files.writeString(dir.resolve("s.jsonl"), "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n{\"id\":3,\"v\":[]}\n");
    p.apply(VerifyTable.of(ReadChanges.from(dir.resolve("s.jsonl").toString()).withFormat(InputFormat.SNAPSHOT_JSONL)
            .withTable("t").withSchema(schema).withSnapshotSequence(Sequence.of(0)),
        WarehouseSpec.parse("duckdb:" + dir.resolve("w.duckdb")), table).inGroups(4).withReport(dir.toString(), "r.jsonl"));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(1, counter(result, CompareTables.KEYS_DIFFERING));
    assertEquals(1, counter(result, CompareTables.KEYS_REJECTED));
    String report = Files.readString(dir.resolve("r.jsonl"));
    assertTrue(report, report.contains("\"different_keys\":[\"[2]\"]"));
  }

  private static long counter(PipelineResult result, String name) {
    return result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named("replicator", name)).build()).getCounters().iterator().next().getAttempted();
  }
}
