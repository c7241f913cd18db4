package io.replicator.merge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

/**
 * The BigQuery scripts as golden text, to review what changed; BigQuerySqlAnalysisTest resolves
 * them with Google's analyzer and DuckDbWarehouseTest runs the same shape on DuckDB.
 */
public class MergeStatementsTest {
  /** Hostile names: a reserved word, a backtick inside a name, Korean, a backtick in the dataset. */
  static final TableSchema HOSTILE = TableSchema.fromBigQueryJson(
      "[{\"name\":\"select\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"na`me\",\"type\":\"STRING\"},"
          + "{\"name\":\"설명\",\"type\":\"BYTES\"}]", List.of("select", "na`me"));

  /** A date partition column with a non-ASCII name, and a key that includes a reserved word. */
  static final TableSchema PARTITIONED = TableSchema.fromBigQueryJson(
      "[{\"name\":\"select\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"na`me\",\"type\":\"STRING\"},"
          + "{\"name\":\"설명\",\"type\":\"BYTES\"},{\"name\":\"날짜\",\"type\":\"DATE\"}]",
      List.of("select", "na`me"));

  /**
   * Every script the BigQuery target runs. Hard deletes: partitioned by a DATE column said to be
   * immutable, with a pruned merge. Soft deletes: integer-range partitioned, own clustering.
   */
  private static String render(DeleteMode mode) {
    BigQueryDialect d = new BigQueryDialect("my-project", "data`set");
    TargetTable table = new TargetTable("order`s", PARTITIONED, mode);
    TableLayout layout = mode == DeleteMode.HARD
        ? new TableLayout("날짜", null, List.of(), true)
        : new TableLayout("select", TableLayout.IntegerRange.parse("0,1000000,1000"), List.of("na`me", "날짜"), false);
    BigQueryScripts q = new BigQueryScripts(d, table, layout);
    String staging = "_staging_order`s_00ff";
    StringBuilder sb = new StringBuilder();
    sb.append("-- create\n").append(q.createTables(1))
        .append("\n-- widen the sequence from 1 to 2 parts\n").append(q.widenSequence(1, 2))
        .append("\n-- merge one batch\n").append(q.merge(2, staging, null, false))
        .append("\n-- merge one batch with partial rows\n").append(q.merge(2, staging, null, true))
        .append("\n-- partition bounds of a batch\n").append(q.batchBounds(staging)).append(";\n");
    PartitionBounds bounds = mode == DeleteMode.HARD
        ? new PartitionBounds("날짜", ColumnType.DATE, "2024-05-01", "2024-05-03")
        : new PartitionBounds("select", ColumnType.INT64, "17", "40213");
    sb.append("\n-- merge one batch, reading only its partitions\n").append(q.merge(2, staging, bounds, false))
        .append("\n-- apply a reload, keeping the keys of rejected lines\n")
        .append(q.createKept("_staging_order`s_kept_00ff"))
        .append(q.applyReload(2, "_staging_order`s_reload_00ff", "_staging_order`s_kept_00ff", true, false))
        .append("\n-- apply a reload that may not remove (a rejected line without a key)\n")
        .append(q.applyReload(1, "_staging_order`s_reload_00ff", null, false, false))
        .append("\n-- start a reload\n").append(q.startReload())
        .append("\n-- forget the history of a new table\n").append(q.forgetHistory())
        .append("\n-- read the rows back\n").append(q.selectRows()).append(";\n");
    if (mode == DeleteMode.HARD) {
      sb.append("\n-- create for CDC writes, max_staleness 1 day 2 h 3 min 4 s\n").append(q.createCdcTarget(93784));
    }
    return sb.toString();
  }

  /** Writes the rendering next to the test output, so a changed golden file can be reviewed. */
  private static String rendered(String name, String text) throws IOException {
    Path out = Path.of("target", "golden", name);
    Files.createDirectories(out.getParent());
    Files.writeString(out, text);
    return text;
  }

  private static String golden(String name) throws IOException {
    try (InputStream in = MergeStatementsTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  public void bigQueryHardDeletesMatchGoldenText() throws IOException {
    assertEquals(golden("bigquery-hard.sql"), rendered("bigquery-hard.sql", render(DeleteMode.HARD)));
  }

  @Test
  public void bigQuerySoftDeletesMatchGoldenText() throws IOException {
    assertEquals(golden("bigquery-soft.sql"), rendered("bigquery-soft.sql", render(DeleteMode.SOFT)));
  }

  @Test
  public void bigQueryQuotingEscapesBackticksAndBackslashes() {
    BigQueryDialect d = new BigQueryDialect("p", "d");
    assertEquals("`a\\`b`", d.quote("a`b"));
    assertEquals("`a\\\\b`", d.quote("a\\b"));
    assertEquals("`p`.`d`.`t`", d.table("t"));
  }

  @Test
  public void duckDbQuotingDoublesQuotes() {
    assertEquals("\"a\"\"b\"", DuckDbDialect.INSTANCE.quote("a\"b"));
  }

  @Test
  public void oneSequencePartComparesOneColumn() {
    String sql = new MergeStatements(DuckDbDialect.INSTANCE, new TargetTable("t", HOSTILE, DeleteMode.HARD), 1).selectEffective();
    assertTrue(sql, sql.contains("(COALESCE(s.\"_sequence_num\", 0) > t.\"_sequence_num\")"));
    assertTrue(sql, !sql.contains("_sequence_num_2"));
  }

  @Test
  public void duckDbAppliesChangesInTheTargetsRowOrder() {
    TargetTable t = new TargetTable("t", HOSTILE, DeleteMode.HARD);
    assertTrue(new MergeStatements(DuckDbDialect.INSTANCE, t, 1).selectEffective().endsWith("\nORDER BY t.rowid"));
    assertTrue(new MergeStatements(DuckDbDialect.INSTANCE, t, 1).forAllStaged().selectEffective()
        .endsWith("\nORDER BY t.rowid"));
    assertTrue(!new MergeStatements(new BigQueryDialect("p", "d"), t, 1).selectEffective().contains("ORDER BY"));
  }

  @Test
  public void valuesNeverEnterTheSql() {
    MergeStatements q = new MergeStatements(DuckDbDialect.INSTANCE, new TargetTable("t", HOSTILE, DeleteMode.HARD), 1);
    assertTrue(q.selectEffective().contains("= ?"));
    assertEquals(6, q.recordBatch().chars().filter(c -> c == '?').count());
    MergeStatements b = new MergeStatements(new BigQueryDialect("p", "d"), new TargetTable("t", HOSTILE, DeleteMode.HARD), 1);
    assertTrue(b.selectEffective().contains("= @batch_id"));
    assertTrue(!b.recordBatch().contains("?"));
  }
}
