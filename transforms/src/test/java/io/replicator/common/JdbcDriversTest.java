package io.replicator.common;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.source.jdbc.JdbcSource;
import io.replicator.testing.PostgresServer;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Connections do not depend on DriverManager's registry, which a Flink session cluster's second
 * job cannot see (its classes come from a new class loader): with every driver deregistered, as that
 * job finds DriverManager, DuckDB and PostgreSQL still open.
 */
public class JdbcDriversTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void connectionsOpenWithDriverManagerEmpty() throws Exception {
    PostgresServer pg = PostgresServer.get();
    pg.createDatabase("drivers");
    Path pw = tmp.newFile("pw").toPath();
    Files.writeString(pw, PostgresServer.PASSWORD + "\n");
    JdbcSource source = JdbcSource.of(pg.url("drivers"), PostgresServer.USER).withPasswordFile(pw.toString());

    List<Driver> registered = Collections.list(DriverManager.getDrivers());
    for (Driver d : registered) {
      DriverManager.deregisterDriver(d);
    }
    try {
      assertThrows(SQLException.class, () -> DriverManager.getConnection("jdbc:duckdb:"));
      try (Connection c = source.open(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 41 + 1")) {
        rs.next();
        assertEquals(42, rs.getInt(1));
      }
      try (DuckDbWarehouse w = DuckDbWarehouse.open(tmp.getRoot().toPath().resolve("w.duckdb"))) {
        assertTrue(Files.exists(tmp.getRoot().toPath().resolve("w.duckdb")));
      }
      SQLException unknown = assertThrows(SQLException.class,
          () -> JdbcDrivers.connect("jdbc:nosuchdb://host/db?password=secret", new Properties()));
      assertEquals("no JDBC driver for jdbc:nosuchdb URLs on the class path (add the driver's jar)", unknown.getMessage());
    } finally {
      for (Driver d : registered) {
        DriverManager.registerDriver(d);
      }
    }
  }
}
