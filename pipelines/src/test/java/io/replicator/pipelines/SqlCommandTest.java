package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code sql}: queries a local warehouse and changes nothing in it. */
public class SqlCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path warehouse() throws Exception {
    Path db = tmp.getRoot().toPath().resolve("w.duckdb");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE spind (id INTEGER, payload BLOB, note VARCHAR)");
      st.execute("INSERT INTO spind VALUES (1, '\\x00\\xFFab'::BLOB, 'two\nlines'), (2, NULL, 'é')");
    }
    return db;
  }

  @Test
  public void printsBytesAsHexAndEscapesLineBreaks() throws Exception {
    Path db = warehouse();
    Replication.Outcome o = Replication.cli("sql", "--warehouse=duckdb:" + db, "SELECT * FROM spind ORDER BY id").ok();
    assertTrue(o.out(), o.out().contains("1   AP9hYg==  two\\nlines"));
    assertTrue(o.out(), o.out().contains("2   NULL      é"));
    assertTrue(o.out(), o.out().contains("(2 rows)"));
  }

  @Test
  public void refusesToChangeTheWarehouseUnlessAskedTo() throws Exception {
    Path db = warehouse();
    for (String statement : new String[] {"DROP TABLE spind", "DELETE FROM spind", "CREATE TABLE x (a INT)"}) {
      Replication.Outcome o = Replication.cli("sql", "--warehouse=duckdb:" + db, statement);
      assertEquals(o.err(), 2, o.code());
      assertTrue(o.err(), o.err().startsWith("replicator: error: sql: the warehouse is opened read-only"));
    }
    Replication.Outcome count = Replication.cli("sql", "--warehouse=duckdb:" + db, "SELECT COUNT(*) AS n FROM spind").ok();
    assertTrue(count.out(), count.out().contains("\n2\n"));
    Replication.cli("sql", "--write", "--warehouse=duckdb:" + db, "DELETE FROM spind WHERE id = 2").ok();
    count = Replication.cli("sql", "--warehouse=duckdb:" + db, "SELECT COUNT(*) AS n FROM spind").ok();
    assertTrue(count.out(), count.out().contains("\n1\n"));
  }
}
