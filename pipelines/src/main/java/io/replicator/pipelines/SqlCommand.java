package io.replicator.pipelines;

import io.replicator.common.JdbcDrivers;
import io.replicator.warehouse.WarehouseSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

/**
 * Runs one SQL statement against a local DuckDB warehouse, opened read-only unless {@code --write}
 * is given, and prints the result
 * as a table, so the local target can be inspected without a DuckDB client:
 * {@code replicator sql --warehouse=duckdb:local/warehouse.duckdb "SELECT COUNT(*) FROM spind_dly"}.
 */
final class SqlCommand {
  private static final int MAX_ROWS = 1000;
  private static final int MAX_BLOB_BYTES = 48;

  private SqlCommand() {}

  static int main(String[] args, PrintStream out) {
    String warehouse = null;
    String sql = null;
    boolean write = false;
    for (String a : args) {
      if (a.startsWith("--warehouse=")) {
        warehouse = a.substring("--warehouse=".length());
      } else if (a.equals("--write") || a.equals("--write=true")) {
        write = true;
      } else if (a.startsWith("--")) {
        throw new OptionsException("sql: unknown option '" + a + "' (expected --warehouse=duckdb:PATH, --write and a"
            + " statement)");
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
    // Read-only unless asked: a query cannot change the replicated tables (nor their batch and
    // tombstone records) by mistake.
    Properties properties = new Properties();
    properties.setProperty("duckdb.read_only", String.valueOf(!write));
    try (Connection c = JdbcDrivers.connect("jdbc:duckdb:" + Path.of(spec.location()).toAbsolutePath(), properties);
        Statement st = c.createStatement()) {
      if (!st.execute(sql)) {
        out.println(st.getUpdateCount() + " rows changed");
        return 0;
      }
      try (ResultSet rs = st.getResultSet()) {
        print(rs, out);
      }
      return 0;
    } catch (SQLException e) {
      String message = e.getMessage().lines().findFirst().orElse("");
      if (message.contains("read-only mode")) {
        throw new OptionsException("sql: the warehouse is opened read-only (--write allows changes), so the"
            + " statement was refused: " + message);
      }
      if (message.contains("Could not set lock")) {
        throw new OptionsException("sql: " + spec.location() + " is being written by another process (a run in"
            + " progress); query it when that is done");
      }
      throw new OptionsException("sql: " + message);
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
          row[i] = text(rs.getObject(i + 1));
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

  /** A value as one line: bytes in base64 (as the staged JSONL holds them), newlines and tabs escaped. */
  private static String text(Object v) throws SQLException {
    if (v == null) {
      return "NULL";
    }
    if (v instanceof Blob blob) {
      long length = blob.length();
      byte[] head = blob.getBytes(1, (int) Math.min(length, MAX_BLOB_BYTES));
      return Base64.getEncoder().encodeToString(head) + (length > MAX_BLOB_BYTES ? "... (" + length + " bytes)" : "");
    }
    if (v instanceof byte[] bytes) {
      return Base64.getEncoder().encodeToString(bytes);
    }
    return v.toString().replace("\n", "\\n").replace("\t", "\\t");
  }

  private static void printRow(PrintStream out, String[] cells, int[] widths) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      sb.append(cells[i]).append(" ".repeat(widths[i] - cells[i].length() + 2));
    }
    out.println(sb.toString().stripTrailing());
  }
}
