package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.replicator.testing.DebeziumCapture;
import io.replicator.testing.PostgresServer;
import io.replicator.testing.SqlRows;
import io.replicator.testing.ToastedHistory;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A PostgreSQL table whose large text, jsonb and bytea values are kept out of line (TOASTed),
 * changed the way applications do (updates that leave the large values alone, updates of each,
 * deletes, re-inserts, key changes), as Debezium's own PostgreSQL connector captures it with its
 * defaults (pgoutput, {@code REPLICA IDENTITY DEFAULT}, JSON with schemas, tombstones after
 * deletes). Captured once per test JVM.
 */
final class ConnectorCapture {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static ConnectorCapture captured;

  /** The table's events in the order the connector emitted them, tombstones included. */
  final List<DebeziumCapture.Event> events;
  /** The table at the end, as {@link #rows} renders it. */
  final List<String> sourceRows;

  private ConnectorCapture(List<DebeziumCapture.Event> events, List<String> sourceRows) {
    this.events = events;
    this.sourceRows = sourceRows;
  }

  static synchronized ConnectorCapture get() throws Exception {
    if (captured == null) {
      captured = capture();
    }
    return captured;
  }

  private static ConnectorCapture capture() throws Exception {
    PostgresServer pg = PostgresServer.get();
    String db = pg.createDatabase("dbz_toast");
    pg.execute(db, "CREATE TABLE docs (id bigint PRIMARY KEY, title text, body text NOT NULL, doc jsonb,"
        + " blob bytea, n bigint);"
        // Kept out of line uncompressed, so every large value is TOASTed whatever its content.
        + "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL, ALTER COLUMN doc SET STORAGE EXTERNAL,"
        + " ALTER COLUMN blob SET STORAGE EXTERNAL;"
        + "CREATE TABLE markers (id bigint PRIMARY KEY)");
    Random random = new Random(5);
    long nextId = 1;
    try (Connection c = pg.connect(db)) {
      for (; nextId <= 30; nextId++) {
        insert(c, nextId, random);
      }
    }
    Path dir = Files.createTempDirectory("debezium");
    List<DebeziumCapture.Event> all;
    try (DebeziumCapture capture = DebeziumCapture.start(pg, db, "public.docs,public.markers", dir)) {
      // The snapshot's 30 rows, then changes the connector streams from the slot.
      capture.awaitEvents(30, e -> isDocs(e) && e.value() != null && e.value().contains("\"op\":\"r\""),
          Duration.ofSeconds(90));
      List<Long> ids = new ArrayList<>();
      for (long id = 1; id < nextId; id++) {
        ids.add(id);
      }
      try (Connection c = pg.connect(db)) {
        for (int i = 0; i < 200; i++) {
          long id = ids.get(random.nextInt(ids.size()));
          int what = random.nextInt(10);
          try (Statement st = c.createStatement()) {
            switch (what) {
              case 0, 1, 2 -> st.execute("UPDATE docs SET title = 'title " + i + " ü' WHERE id = " + id);
              case 3 -> st.execute("UPDATE docs SET n = " + i + " WHERE id = " + id);
              case 4 -> update(c, "body", large("body " + i + " ", random), id);
              case 5 -> update(c, "doc", "{\"v\": " + i + ", \"w\": \"" + large("数据 ", random) + "\"}", id);
              case 6 -> update(c, "blob", blob(random), id);
              case 7 -> {
                // A key change that leaves the large values alone: the connector writes a delete of
                // the old key and a create of the new one with placeholders in their place.
                long to = nextId++;
                st.execute("UPDATE docs SET id = " + to + (random.nextBoolean() ? ", title = 'moved " + i + "'" : "")
                    + " WHERE id = " + id);
                ids.set(ids.indexOf(id), to);
              }
              case 8 -> {
                st.execute("DELETE FROM docs WHERE id = " + id);
                ids.remove(id);
                if (ids.isEmpty() || random.nextBoolean()) {
                  insert(c, id, random); // The same key again, a new row.
                  ids.add(id);
                }
              }
              default -> {
                insert(c, nextId, random);
                ids.add(nextId++);
              }
            }
          }
        }
        try (Statement st = c.createStatement()) {
          st.execute("INSERT INTO markers VALUES (1)");
        }
      }
      all = capture.awaitEvents(1, e -> e.destination().endsWith(".markers") && e.value() != null
          && e.value().contains("\"op\":\"c\""), Duration.ofSeconds(90));
    }

    List<DebeziumCapture.Event> docs = all.stream().filter(ConnectorCapture::isDocs).toList();
    try (Connection c = pg.connect(db)) {
      return new ConnectorCapture(docs, rows(c,
          "SELECT id, title, body, doc::text, replace(encode(blob, 'base64'), E'\\n', ''), n FROM docs"));
    }
  }

  static boolean isDocs(DebeziumCapture.Event e) {
    return e.destination().endsWith(".docs");
  }

  private static void insert(Connection c, long id, Random random) throws SQLException {
    byte[] blob = blob(random);
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO docs VALUES (?, ?, ?, CAST(? AS jsonb), ?, ?)")) {
      ps.setLong(1, id);
      ps.setString(2, random.nextBoolean() ? null : "title " + id);
      ps.setString(3, large("body " + id + " \"quoted\" back\\slash ", random));
      ps.setString(4, "{\"v\": " + id + ", \"w\": \"" + large("Zoë ", random) + "\"}");
      ps.setBytes(5, random.nextInt(5) == 0 ? null : blob);
      ps.setLong(6, id * 7);
      ps.executeUpdate();
    }
  }

  /** Sets one column of a row: text, JSON text (for {@code doc}) or bytes. */
  private static void update(Connection c, String column, Object value, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE docs SET " + column + " = "
        + (column.equals("doc") ? "CAST(? AS jsonb)" : "?") + " WHERE id = ?")) {
      if (value instanceof byte[] bytes) {
        ps.setBytes(1, bytes);
      } else {
        ps.setString(1, (String) value);
      }
      ps.setLong(2, id);
      ps.executeUpdate();
    }
  }

  /** Random bytes well above the TOAST threshold. */
  private static byte[] blob(Random random) {
    byte[] blob = new byte[3000 + random.nextInt(2000)];
    random.nextBytes(blob);
    return blob;
  }

  /** Text well above PostgreSQL's TOAST threshold (about 2 kB). */
  private static String large(String prefix, Random random) {
    StringBuilder sb = new StringBuilder(prefix);
    while (sb.length() < 2500 + random.nextInt(1500)) {
      sb.append((char) ('a' + random.nextInt(26)));
    }
    return sb.toString();
  }

  /**
   * A DuckDB target's live rows as {@link #sourceRows} has the table's; fails on a placeholder anywhere.
   *
   * @param softDeletes whether deleted rows stay, marked {@code _is_deleted}
   */
  static List<String> targetRows(Path warehouse, boolean softDeletes) throws Exception {
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      assertEquals(List.of("0"), SqlRows.of(w.connection(), "SELECT count(*) FROM docs WHERE body LIKE '%"
          + ToastedHistory.PLACEHOLDER + "%' OR CAST(doc AS VARCHAR) LIKE '%" + ToastedHistory.PLACEHOLDER + "%'"));
      return rows(w.connection(), "SELECT id, title, body, CAST(doc AS VARCHAR), base64(blob), n FROM docs"
          + (softDeletes ? " WHERE NOT _is_deleted" : ""));
    }
  }

  /** Rows as {@code id|title|body|doc|blob|n}, sorted: JSON in one canonical form, bytes in base64. */
  private static List<String> rows(Connection c, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        String doc = rs.getString(4);
        out.add(String.join("|", rs.getString(1), rs.getString(2), rs.getString(3),
            doc == null ? null : JSON.readTree(doc).toString(), rs.getString(5), rs.getString(6)));
      }
    }
    out.sort(null);
    return out;
  }
}
