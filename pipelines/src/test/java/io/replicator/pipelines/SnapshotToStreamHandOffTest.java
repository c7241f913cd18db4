package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import io.replicator.change.TableSchema;
import io.replicator.change.DeleteMode;
import io.replicator.change.TargetTable;
import io.replicator.testing.DebeziumHistory;
import io.replicator.testing.PostgresServer;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The snapshot-to-stream recipe against a real PostgreSQL: the change stream starts (a logical
 * replication slot), the table is reloaded over JDBC while transactions run, one of them open
 * across the snapshot, and the stream's events, made by PostgreSQL's own logical decoding, are
 * then merged. With the recipe's {@code --snapshotSequence=0} the table ends exactly equal to the
 * source; with the snapshot's WAL position as the rows' sequence, the transaction open across the
 * snapshot is lost, which is why the recipe exists.
 */
public class SnapshotToStreamHandOffTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(DebeziumHistory.SCHEMA_JSON, List.of("id"));
  private static final String[] WORDS = {"a", "Zoë", "it's", "\"quoted\"", "数据", "back\\slash", ""};

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void aReloadFollowedByTheStreamEndsEqualToTheSource() throws Exception {
    PostgresServer pg = PostgresServer.get();
    String db = pg.createDatabase("handoff_" + Math.abs(tmp.getRoot().getName().hashCode()));
    String slot = "handoff_" + Math.abs(tmp.getRoot().getName().hashCode());
    Path dir = tmp.getRoot().toPath();
    Path password = Files.writeString(dir.resolve("pw"), PostgresServer.PASSWORD);
    Random random = new Random(17);
    List<String> events;
    TreeMap<Long, String> source;
    try (Connection c = pg.connect(db); Connection open = pg.connect(db)) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, \"select\" text, \"größe\" bigint);"
            + " INSERT INTO accounts SELECT g, 'initial ' || g, g * 10 FROM generate_series(1, 40) g");
      }
      // 1. The stream starts: from here on every committed change is an event.
      LogicalDecodingEvents.createSlot(c, slot);
      try {
        c.setAutoCommit(false);
        transactions(c, random, 15);
        // 2. A transaction writes before the snapshot and commits after it.
        open.setAutoCommit(false);
        try (Statement st = open.createStatement()) {
          st.executeUpdate("UPDATE accounts SET \"select\" = 'written before the snapshot, committed after' WHERE id = 3");
        }
        // 3. The reload, by the recipe and by the WAL position.
        reload(pg, db, password, dir.resolve("recipe.duckdb"), "--snapshotSequence=0");
        reload(pg, db, password, dir.resolve("wal-position.duckdb"));
        open.commit();
        // 4. The source goes on.
        transactions(c, random, 15);
        events = LogicalDecodingEvents.read(c, slot);
        source = rows(c);
      } finally {
        c.setAutoCommit(true);
        LogicalDecodingEvents.dropSlot(c, slot);
      }
    }
    Path drops = Files.createDirectories(dir.resolve("drops"));
    Files.write(drops.resolve("events.json"), events);

    stream(drops, dir.resolve("recipe.duckdb"));
    assertEquals(source, target(dir.resolve("recipe.duckdb")));

    stream(drops, dir.resolve("wal-position.duckdb"));
    TreeMap<Long, String> lossy = target(dir.resolve("wal-position.duckdb"));
    assertNotEquals(source.get(3L), lossy.get(3L));
    lossy.put(3L, source.get(3L));
    assertEquals("only the transaction open across the snapshot is lost", source, lossy);
  }

  private static void reload(PostgresServer pg, String db, Path password, Path warehouse, String... extra) {
    String[] args = {"replicate", "--table=accounts", "--jdbcUrl=" + pg.url(db), "--jdbcTable=public.accounts",
        "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + password,
        "--staging=" + warehouse.getParent().resolve("staging"), "--warehouse=duckdb:" + warehouse};
    String[] all = new String[args.length + extra.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(extra, 0, all, args.length, extra.length);
    Replication.cli(all).ok();
  }

  private static void stream(Path drops, Path warehouse) {
    Replication.cli("replicate", "--streaming=true", "--changes=" + drops + "/*.json", "--table=accounts",
        "--schema=" + writeSchema(warehouse.getParent()), "--keys=id", "--watchInterval=500ms", "--loadInterval=1s",
        "--streamFor=10s", "--staging=" + warehouse.getParent().resolve("staging"),
        "--warehouse=duckdb:" + warehouse).ok();
  }

  private static Path writeSchema(Path dir) {
    try {
      return Files.writeString(dir.resolve("schema.json"), DebeziumHistory.SCHEMA_JSON);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Random transactions of one to three changes: inserts, updates, deletes, key changes; never row 3. */
  private static void transactions(Connection c, Random random, int count) throws SQLException {
    for (int t = 0; t < count; t++) {
      for (int i = 1 + random.nextInt(3); i > 0; i--) {
        long id = 4 + random.nextInt(60);
        String word = random.nextInt(6) == 0 ? null : WORDS[random.nextInt(WORDS.length)] + random.nextInt(100);
        String sql = switch (random.nextInt(4)) {
          case 0 -> "INSERT INTO accounts VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING";
          case 1 -> "UPDATE accounts SET \"select\" = ?, \"größe\" = ? WHERE id = ?";
          case 2 -> "DELETE FROM accounts WHERE id = ?";
          default -> "UPDATE accounts SET id = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM accounts WHERE id = ?)";
        };
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          if (sql.startsWith("INSERT")) {
            ps.setLong(1, id);
            ps.setString(2, word);
            ps.setLong(3, random.nextInt(1000));
          } else if (sql.contains("SET \"select\"")) {
            ps.setString(1, word);
            ps.setLong(2, random.nextInt(1000));
            ps.setLong(3, id);
          } else if (sql.startsWith("DELETE")) {
            ps.setLong(1, id);
          } else {
            long to = 4 + random.nextInt(60);
            ps.setLong(1, to);
            ps.setLong(2, id);
            ps.setLong(3, to);
          }
          ps.executeUpdate();
        }
      }
      c.commit();
    }
  }

  private static TreeMap<Long, String> rows(Connection c) throws SQLException {
    TreeMap<Long, String> out = new TreeMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, \"select\", \"größe\" FROM accounts")) {
      while (rs.next()) {
        out.put(rs.getLong(1), rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
      }
    }
    return out;
  }

  private static TreeMap<Long, String> target(Path warehouse) {
    try (DuckDbWarehouse w = DuckDbWarehouse.open(warehouse)) {
      return DebeziumHistory.rows(w, new TargetTable("accounts", SCHEMA, DeleteMode.HARD));
    }
  }
}
