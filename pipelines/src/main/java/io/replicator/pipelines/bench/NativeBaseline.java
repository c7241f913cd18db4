package io.replicator.pipelines.bench;

import io.replicator.change.Column;
import io.replicator.change.TableSchema;
import io.replicator.change.DeleteMode;
import io.replicator.merge.DuckDbDialect;
import io.replicator.merge.MergeStatements;
import io.replicator.change.TargetTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.StringJoiner;

/**
 * The baseline: DuckDB doing the replicate job natively, as a separate process — {@code
 * read_json} of the input into staging, key changes split and the latest change per key kept in
 * SQL, then the same MERGE statements Replicator runs. Prints the milliseconds of each step.
 *
 * <p>{@code java -cp replicator-bundled.jar io.replicator.pipelines.bench.NativeBaseline DB SCHEMA SNAPSHOT CHANGES}
 */
public final class NativeBaseline {
  private static final DuckDbDialect SQL = DuckDbDialect.INSTANCE;

  private NativeBaseline() {}

  public static void main(String[] args) throws Exception {
    Path db = Path.of(args[0]);
    Files.deleteIfExists(db);
    TableSchema schema = TableSchema.fromBigQueryJson(Files.readString(Path.of(args[1])), List.of("gvkey", "datadate"));
    TargetTable table = new TargetTable("spind_dly", schema, DeleteMode.HARD);
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db); Statement st = c.createStatement()) {
      MergeStatements merge = new MergeStatements(SQL, table, 1);
      for (String ddl : merge.createTables()) {
        st.execute(ddl);
      }
      st.execute(merge.createStaging());
      long t0 = System.nanoTime();
      // Full load: the snapshot as UPSERTs at sequence 1.
      st.execute("INSERT INTO _staging_spind_dly BY NAME SELECT *, 'UPSERT' AS _op, 1 AS _sequence_num, 'load' AS _batch_id"
          + " FROM read_json(" + literal(args[2]) + ", format = 'newline_delimited', columns = " + columns(schema, false) + ")");
      apply(c, merge, "load");
      long t1 = System.nanoTime();
      // The change batch: split key changes, keep the latest per key, MERGE.
      st.execute("CREATE TEMP TABLE raw AS SELECT * FROM read_json(" + literal(args[3])
          + ", format = 'newline_delimited', columns = " + columns(schema, true) + ")");
      StringJoiner cols = new StringJoiner(", ");
      StringJoiner nulls = new StringJoiner(", ");
      for (Column col : schema.columns()) {
        cols.add(SQL.quote(col.name()));
        nulls.add(col.name().equals("gvkey") ? "_before_gvkey" : col.name().equals("datadate") ? "_before_datadate"
            : "NULL");
      }
      st.execute("INSERT INTO _staging_spind_dly (" + cols + ", _op, _sequence_num, _batch_id)"
          + " SELECT * EXCLUDE (w) FROM ("
          + "  SELECT " + cols + ", CASE WHEN _op = 'DELETE' THEN 'DELETE' ELSE 'UPSERT' END AS _op, _sequence_num, 'changes', 1 AS w FROM raw"
          + "  UNION ALL SELECT " + nulls + ", 'DELETE', _sequence_num, 'changes', 0 FROM raw"
          + "    WHERE _op = 'UPDATE' AND _before_gvkey IS NOT NULL AND (_before_gvkey <> gvkey OR _before_datadate <> datadate))"
          + " QUALIFY row_number() OVER (PARTITION BY gvkey, datadate ORDER BY _sequence_num DESC, w DESC) = 1");
      apply(c, merge, "changes");
      long t2 = System.nanoTime();
      System.out.println("load_ms=" + (t1 - t0) / 1_000_000 + " changes_ms=" + (t2 - t1) / 1_000_000);
    }
  }

  private static void apply(Connection c, MergeStatements merge, String batch) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(merge.selectEffective())) {
      ps.setString(1, batch);
      ps.execute();
    }
    try (Statement st = c.createStatement()) {
      st.execute(merge.mergeTarget());
      st.execute(merge.mergeTombstones());
      st.execute("DELETE FROM _staging_spind_dly");
      st.execute("DROP TABLE " + SQL.quote(MergeStatements.EFFECTIVE));
    }
  }

  private static String columns(TableSchema schema, boolean changes) {
    StringJoiner j = new StringJoiner(", ", "{", "}");
    for (Column c : schema.columns()) {
      j.add(literal(c.name()) + ": " + literal(SQL.stagingType(c.type())));
    }
    if (changes) {
      j.add("'_op': 'VARCHAR'").add("'_sequence_num': 'BIGINT'").add("'_before_gvkey': 'VARCHAR'").add("'_before_datadate': 'DATE'");
    }
    return j.toString();
  }

  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}
