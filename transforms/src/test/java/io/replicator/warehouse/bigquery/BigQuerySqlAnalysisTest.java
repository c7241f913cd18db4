package io.replicator.warehouse.bigquery;

import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.merge.BigQueryDialect;
import io.replicator.merge.BigQueryScripts;
import io.replicator.merge.ContractStatements;
import io.replicator.merge.MergeStatements;
import io.replicator.merge.PartitionBounds;
import io.replicator.merge.ReloadStatements;
import io.replicator.merge.TableLayout;
import java.util.List;
import org.junit.Test;

/**
 * Every script the BigQuery target runs, for tables of every column type under hostile names,
 * analyzed by Google's SQL front end ({@link BigQuerySqlAnalyzer}): a wrong column, type or
 * function in the generated SQL fails here, where the golden text (MergeStatementsTest) only shows
 * that it changed and DuckDB runs it in its own dialect.
 */
public class BigQuerySqlAnalysisTest {
  private static final String PROJECT = "my-project";
  private static final String DATASET = "data`set";
  /** Every column type; a reserved word, a backtick and Korean in the names; a two-column key. */
  private static final TableSchema ALL_TYPES = TableSchema.fromBigQueryJson("""
      [{"name":"select","type":"INT64","mode":"REQUIRED"},{"name":"na`me","type":"STRING","mode":"REQUIRED"},
       {"name":"설명","type":"BYTES"},{"name":"날짜","type":"DATE"},{"name":"f","type":"FLOAT64"},
       {"name":"n","type":"NUMERIC"},{"name":"big","type":"BIGNUMERIC"},{"name":"b","type":"BOOL"},
       {"name":"dt","type":"DATETIME"},{"name":"t","type":"TIME"},{"name":"ts","type":"TIMESTAMP"},
       {"name":"doc","type":"JSON"},{"name":"body","type":"STRING","mode":"REQUIRED"}]""", List.of("select", "na`me"));

  @Test
  public void hardDeletesOnADatePartitionedTable() {
    analyzeAll(new TargetTable("order`s", ALL_TYPES, DeleteMode.HARD), new TableLayout("날짜", null, List.of(), true),
        new PartitionBounds("날짜", ColumnType.DATE, "2024-05-01", "2024-05-03"));
  }

  @Test
  public void softDeletesOnAnIntegerRangePartitionedTable() {
    analyzeAll(new TargetTable("order`s", ALL_TYPES, DeleteMode.SOFT),
        new TableLayout("select", TableLayout.IntegerRange.parse("0,1000000,1000"), List.of("na`me", "날짜"), false),
        new PartitionBounds("select", ColumnType.INT64, "17", "40213"));
  }

  @Test
  public void unpartitionedTables() {
    for (DeleteMode mode : DeleteMode.values()) {
      analyzeAll(new TargetTable("plain", ALL_TYPES, mode), TableLayout.DEFAULT, null);
    }
  }

  @Test
  public void aWrongNameDoesNotResolve() {
    BigQuerySqlAnalyzer analyzer = new BigQuerySqlAnalyzer();
    TargetTable table = new TargetTable("t", ALL_TYPES, DeleteMode.HARD);
    analyzer.script(new BigQueryScripts(new BigQueryDialect(PROJECT, DATASET), table, TableLayout.DEFAULT)
        .createTables(1));
    AssertionError e = assertThrows(AssertionError.class,
        () -> analyzer.script("SELECT `colour` FROM `my-project`.`data\\`set`.`t`;\n"));
    assertTrue(e.getMessage(), e.getMessage().contains("colour"));
    e = assertThrows(AssertionError.class,
        () -> analyzer.script("SELECT LIST_CONTAINS(`body`, 'x') FROM `my-project`.`data\\`set`.`t`;\n"));
    assertTrue(e.getMessage(), e.getMessage().contains("LIST_CONTAINS"));
  }

  /** The scripts in the order a table meets them: created, widened, merged, reloaded, read. */
  private static void analyzeAll(TargetTable table, TableLayout layout, PartitionBounds bounds) {
    BigQueryDialect d = new BigQueryDialect(PROJECT, DATASET);
    BigQueryScripts q = new BigQueryScripts(d, table, layout);
    BigQuerySqlAnalyzer a = new BigQuerySqlAnalyzer();
    a.script(q.createTables(1));
    a.script(q.forgetHistory());
    a.script(new ContractStatements(d).select() + ";\n");
    a.script(q.widenSequence(1, 2));

    String staging = table.stagingName() + "_00ff";
    a.addLoadedTable(List.of(PROJECT, DATASET, staging), BigQueryWarehouse.stagingSchema(table));
    a.script(new MergeStatements(d, table, 1).selectApplied() + ";\n");
    if (layout.partitionField() != null) {
      a.script(q.batchBounds(staging) + ";\n");
    }
    for (boolean partial : new boolean[] {false, true}) {
      a.script(q.merge(2, staging, null, partial));
      if (bounds != null) {
        a.script(q.merge(2, staging, bounds, partial));
      }
    }

    ReloadStatements reloads = new ReloadStatements(d, table, 1);
    a.script(reloads.selectPending() + ";\n");
    a.script(reloads.maxSequence() + ";\n");
    a.script(q.startReload());
    String reload = table.stagingName() + "_reload_00ff";
    String kept = table.stagingName() + "_kept_00ff";
    a.addLoadedTable(List.of(PROJECT, DATASET, reload), BigQueryWarehouse.stagingSchema(table));
    a.addLoadedTable(List.of(PROJECT, DATASET, kept), BigQueryWarehouse.keySchema(table));
    for (boolean partial : new boolean[] {false, true}) {
      a.script(q.applyReload(2, reload, kept, true, partial));
      a.script(q.applyReload(2, reload, null, false, partial));
    }
    a.script(reloads.deletePending() + ";\n");
    a.script(q.selectRows() + ";\n");
    a.script(q.selectKeyRecords(2) + ";\n");
    a.script(q.selectKeyRecords(2, true) + ";\n");
    assertTrue("statements analyzed: " + a.statements(), a.statements() > 60);

    if (table.deleteMode() == DeleteMode.HARD) {
      // The analyzer refuses max_staleness, which BigQuery documents and accepts: the one known
      // difference, so the CDC target is analyzed without that option.
      String cdc = q.createCdcTarget(93784);
      assertTrue(cdc, cdc.contains("\nOPTIONS (max_staleness = INTERVAL "));
      new BigQuerySqlAnalyzer().script(cdc.substring(0, cdc.indexOf("\nOPTIONS (max_staleness")) + ";\n");
    }
  }
}
