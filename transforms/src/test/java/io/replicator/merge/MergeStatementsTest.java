package io.replicator.merge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.change.TableSchema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.Test;

/** The BigQuery MERGE as golden text; DuckDbWarehouseTest runs the same shape on DuckDB. */
public class MergeStatementsTest {
  /** Hostile names: a reserved word, a backtick inside a name, Korean, a backtick in the dataset. */
  static final TableSchema HOSTILE = TableSchema.fromBigQueryJson(
      "[{\"name\":\"select\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"na`me\",\"type\":\"STRING\"},"
          + "{\"name\":\"설명\",\"type\":\"BYTES\"}]", List.of("select", "na`me"));

  private static String render(DeleteMode mode) {
    MergeStatements q = new MergeStatements(
        new BigQueryDialect("my-project", "data`set"), new TargetTable("order`s", HOSTILE, mode), 2);
    StringBuilder sb = new StringBuilder();
    sb.append(q.selectEffective()).append(";\n\n").append(q.countEffective()).append(";\n\n")
        .append(q.mergeTarget()).append(";\n\n");
    if (mode == DeleteMode.HARD) {
      sb.append(q.mergeTombstones()).append(";\n\n");
    }
    for (String ddl : q.createTables()) {
      sb.append(ddl).append(";\n\n");
    }
    return sb.toString();
  }

  private static String golden(String name) throws IOException {
    try (InputStream in = MergeStatementsTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  public void bigQueryHardDeletesMatchGoldenText() throws IOException {
    assertEquals(golden("bigquery-hard.sql"), render(DeleteMode.HARD));
  }

  @Test
  public void bigQuerySoftDeletesMatchGoldenText() throws IOException {
    assertEquals(golden("bigquery-soft.sql"), render(DeleteMode.SOFT));
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
  public void valuesNeverEnterTheSql() {
    MergeStatements q = new MergeStatements(DuckDbDialect.INSTANCE, new TargetTable("t", HOSTILE, DeleteMode.HARD), 1);
    assertTrue(q.selectEffective().endsWith("?)") || q.selectEffective().contains("= ?"));
    assertEquals(6, q.recordBatch().chars().filter(c -> c == '?').count());
  }
}
