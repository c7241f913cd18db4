package io.replicator.pipelines;

import io.replicator.warehouse.WarehouseSpec;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one SQL statement against a local DuckDB warehouse and prints the result as a table, so the
 * local target can be inspected without a DuckDB client:
 * {@code replicator sql --warehouse=duckdb:local/warehouse.duckdb "SELECT COUNT(*) FROM spind_dly"}.
 */
final class SqlCommand {
  private static final int MAX_ROWS = 1000;

  private SqlCommand() {}

  static int main(String[] args, PrintStream out) {
    String warehouse = null;
    String sql = null;
    for (String a : args) {
      if (a.startsWith("--warehouse=")) {
        warehouse = a.substring("--warehouse=".length());
      } else if (a.startsWith("--")) {
        throw new OptionsException("sql: unknown option '" + a + "' (expected --warehouse=duckdb:PATH and a statement)");
      } else if (sql == null) {
        sql = a;
      } else {
        throw new OptionsException("sql: give the statement as one argument (quote it)");
      }
    }
    if (sql == null) {
      throw new OptionsException("sql: no statement given");
    }
    WarehouseSpec spec = WarehouseSpec.parse(warehouse == null ? "duckdb:local/warehouse.duckdb" : warehouse);
    if (!spec.kind().equals("duckdb")) {
      throw new OptionsException("sql: only a duckdb: warehouse can be queried from here");
    }
    if (!Path.of(spec.location()).toFile().exists()) {
      throw new OptionsException("sql: " + spec.location() + " does not exist (run a replicate first)");
    }
    try (DuckDbWarehouse w = DuckDbWarehouse.open(Path.of(spec.location()));
        Statement st = w.connection().createStatement()) {
      if (!st.execute(sql)) {
        out.println(st.getUpdateCount() + " rows changed");
        return 0;
      }
      try (ResultSet rs = st.getResultSet()) {
        print(rs, out);
      }
      return 0;
    } catch (SQLException e) {
      throw new OptionsException("sql: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  private static void print(ResultSet rs, PrintStream out) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    List<String[]> rows = new ArrayList<>();
    String[] header = new String[n];
    int[] widths = new int[n];
    for (int i = 0; i < n; i++) {
      header[i] = md.getColumnLabel(i + 1);
      widths[i] = header[i].length();
    }
    int total = 0;
    while (rs.next()) {
      total++;
      if (rows.size() < MAX_ROWS) {
        String[] row = new String[n];
        for (int i = 0; i < n; i++) {
          Object v = rs.getObject(i + 1);
          row[i] = v == null ? "NULL" : v.toString().replace("\n", "\\n").replace("\t", "\\t");
          widths[i] = Math.max(widths[i], row[i].length());
        }
        rows.add(row);
      }
    }
    printRow(out, header, widths);
    StringBuilder rule = new StringBuilder();
    for (int w : widths) {
      rule.append("-".repeat(w)).append("  ");
    }
    out.println(rule.toString().stripTrailing());
    for (String[] row : rows) {
      printRow(out, row, widths);
    }
    out.println("(" + total + " rows" + (total > MAX_ROWS ? ", first " + MAX_ROWS + " shown" : "") + ")");
  }

  private static void printRow(PrintStream out, String[] cells, int[] widths) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      sb.append(cells[i]).append(" ".repeat(widths[i] - cells[i].length() + 2));
    }
    out.println(sb.toString().stripTrailing());
  }
}
