package io.replicator.common;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;

/**
 * Opens JDBC connections through the drivers this class's own class loader sees, not through
 * {@link java.sql.DriverManager}'s registry: DriverManager hands a driver only to callers that can
 * see the class loader which registered it, and a Flink session cluster loads each job's classes
 * in a new class loader, so from the second job on it finds no driver at all. Any driver on the
 * job's class path that declares itself (META-INF/services/java.sql.Driver) is found, DuckDB and
 * PostgreSQL included.
 *
 * <pre>{@code
 * try (Connection c = JdbcDrivers.connect("jdbc:duckdb:/tmp/w.duckdb", new Properties())) { ... }
 * }</pre>
 */
public final class JdbcDrivers {
  /** The drivers of this class loader, loaded once (each job's class loader has its own copy of this class). */
  private static volatile List<Driver> drivers;

  private JdbcDrivers() {}

  /**
   * Connects to {@code url} with the first driver that accepts it.
   *
   * @throws SQLException when no driver accepts the URL (its message names the URL's scheme only), or
   *     the driver's own failure
   */
  public static Connection connect(String url, Properties properties) throws SQLException {
    for (Driver driver : drivers()) {
      if (driver.acceptsURL(url)) {
        Connection c = driver.connect(url, properties);
        if (c != null) {
          return c;
        }
      }
    }
    String scheme = url.indexOf(':', 5) > 0 ? url.substring(0, url.indexOf(':', 5)) : url;
    throw new SQLException("no JDBC driver for " + scheme + " URLs on the class path (add the driver's jar)");
  }

  private static List<Driver> drivers() {
    List<Driver> loaded = drivers;
    if (loaded == null) {
      loaded = new ArrayList<>();
      for (Driver d : ServiceLoader.load(Driver.class, JdbcDrivers.class.getClassLoader())) {
        loaded.add(d);
      }
      drivers = loaded;
    }
    return loaded;
  }
}
