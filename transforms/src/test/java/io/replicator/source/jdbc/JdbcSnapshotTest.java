package io.replicator.source.jdbc;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.ColumnType;
import io.replicator.change.Sequence;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import io.replicator.testing.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The JDBC snapshot source against a real PostgreSQL server. */
public class JdbcSnapshotTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static PostgresServer pg;
  private static final String DB = "jdbc_source";

  @BeforeClass
  public static void createTables() throws Exception {
    pg = PostgresServer.get();
    pg.createDatabase(DB);
    try (Connection c = pg.connect(DB); Statement st = c.createStatement()) {
      st.execute("""
          CREATE TYPE mood AS ENUM ('sad', 'happy');
          CREATE TABLE all_types (
            id bigint PRIMARY KEY, i2 smallint, i4 integer NOT NULL, n numeric(12,2), nbig numeric(40,20), nfree numeric,
            f4 real, f8 double precision, t text, vc varchar(10), ch char(3), b boolean, d date,
            ts timestamp, tstz timestamptz, tm time, by bytea, j json, jb jsonb, u uuid, arr integer[],
            tarr text[], m mood, iv interval);
          INSERT INTO all_types VALUES
            (1, -32768, 2147483647, -9999999999.99, 12345678901234567890.12345678901234567890, 0.1,
             1.5, -1e300, '한국어 "q" \\ tab	x', 'varchar', 'ab', true, '0001-01-01',
             '9999-12-31 23:59:59.999999', '2024-06-30 23:59:59.000001+09', '23:59:59.999999', '\\x00ff',
             '{"a": [1, "둘"]}', '{"b": null}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,2,NULL}',
             '{"x,y","z"}', 'happy', '1 day 02:00:00'),
            (2, NULL, 0, NULL, NULL, NULL, 'NaN', 'Infinity', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, '{}', NULL, NULL, NULL),
            (3, 1, 1, 1, 1, 'NaN', 1, 1, 'bad numeric', NULL, NULL, NULL, 'infinity', NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL);
          CREATE TABLE composite (region text, day date, seq int, v text, PRIMARY KEY (region, day, seq));
          INSERT INTO composite SELECT (ARRAY['서울','east','west','a"b'])[1 + g % 4], DATE '2024-01-01' + (g % 97), g, 'v' || g
            FROM generate_series(1, 20000) g;
          ANALYZE composite;
          CREATE TABLE no_pk (a int);
          """);
    }
  }

  private static JdbcSource source() throws Exception {
    Path pw = Files.createTempFile("pw", ".txt");
    Files.writeString(pw, PostgresServer.PASSWORD + "\n");
    return JdbcSource.of(pg.url(DB), PostgresServer.USER).withPasswordFile(pw.toString());
  }

  @Test
  public void discoversColumnsTypesAndPrimaryKey() throws Exception {
    JdbcSource s = source();
    try (Connection c = s.open()) {
      SourceTable t = SourceTable.ofTable(c, s, "public.all_types", null);
      assertEquals(List.of("id"), t.schema().keyColumns());
      List<String> types = new ArrayList<>();
      t.schema().columns().forEach(col -> types.add(col.name() + ":" + col.type() + (col.required() ? "!" : "")));
      assertEquals(List.of("id:INT64!", "i2:INT64", "i4:INT64!", "n:NUMERIC", "nbig:BIGNUMERIC", "nfree:BIGNUMERIC",
          "f4:FLOAT64", "f8:FLOAT64", "t:STRING", "vc:STRING", "ch:STRING", "b:BOOL", "d:DATE", "ts:DATETIME",
          "tstz:TIMESTAMP", "tm:TIME", "by:BYTES", "j:JSON", "jb:JSON", "u:STRING", "arr:JSON", "tarr:JSON",
          "m:STRING", "iv:STRING"), types);
      SourceTable composite = SourceTable.ofTable(c, s, "COMPOSITE", null);
      assertEquals(List.of("region", "day", "seq"), composite.schema().keyColumns());
      assertEquals(ColumnType.DATE, composite.schema().column(1).type());
    }
  }

  @Test
  public void everyTypeIsReadAndBadValuesAreDeadLetters() throws Exception {
    JdbcSource s = source();
    SourceTable t;
    try (Connection c = s.open()) {
      t = SourceTable.ofTable(c, s, "all_types", null);
    }
    ReadChanges.Result read = p.apply(ReadJdbcSnapshot.of(s, t, List.of(KeyRange.all()), Sequence.of(77), "target"));
    PAssert.that(read.changes()).containsInAnyOrder(
        new Change("target", io.replicator.change.ChangeOp.UPSERT, "[1]", Sequence.of(77),
            "\"id\":1,\"i2\":-32768,\"i4\":2147483647,\"n\":\"-9999999999.99\",\"nbig\":\"12345678901234567890.1234567890123456789\","
                + "\"nfree\":\"0.1\",\"f4\":1.5,\"f8\":-1.0E300,\"t\":\"한국어 \\\"q\\\" \\\\ tab\\tx\",\"vc\":\"varchar\",\"ch\":\"ab \","
                + "\"b\":true,\"d\":\"0001-01-01\",\"ts\":\"9999-12-31T23:59:59.999999\",\"tstz\":\"2024-06-30T14:59:59.000001Z\","
                + "\"tm\":\"23:59:59.999999\",\"by\":\"AP8=\",\"j\":{\"a\":[1,\"둘\"]},\"jb\":{\"b\":null},"
                + "\"u\":\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\",\"arr\":[1,2,null],\"tarr\":[\"x,y\",\"z\"],\"m\":\"happy\","
                + "\"iv\":\"1 day 02:00:00\""),
        new Change("target", io.replicator.change.ChangeOp.UPSERT, "[2]", Sequence.of(77),
            "\"id\":2,\"i4\":0,\"f4\":\"NaN\",\"f8\":\"Infinity\",\"t\":\"\",\"arr\":[]"));
    PCollection<String> reasons = read.deadLetters().apply(MapElements.into(TypeDescriptors.strings())
        .via((DeadLetter d) -> d.source().replaceAll(".*/", "") + " | " + d.reason() + " | " + d.input().contains("\"id\":\"3\"")));
    PAssert.that(reasons).containsInAnyOrder("jdbc_source all_types | column 'nfree': 'NaN' is not a valid BIGNUMERIC | true");
    p.run().waitUntilFinish();
  }

  @Test
  public void partitionsCoverEveryRowOnce() throws Exception {
    JdbcSource s = source();
    List<KeyRange> ranges;
    SourceTable t;
    try (Connection c = s.open()) {
      t = SourceTable.ofTable(c, s, "composite", null);
      long rows = Partitioner.estimateRows(c, s, t);
      assertTrue("estimate " + rows, rows > 15_000 && rows < 25_000);
      ranges = Partitioner.plan(c, s, t, 7, rows);
    }
    assertTrue("ranges: " + ranges, ranges.size() >= 5 && ranges.size() <= 7);
    ReadChanges.Result read = p.apply(ReadJdbcSnapshot.of(s, t, ranges, Sequence.of(1), "composite").withFetchSize(500));
    PAssert.that(read.changes()).satisfies(changes -> {
      Set<String> keys = new HashSet<>();
      long n = 0;
      for (Change c : changes) {
        n++;
        assertTrue("read twice: " + c.key(), keys.add(c.key()));
      }
      assertEquals(20_000, n);
      return null;
    });
    PAssert.that(read.deadLetters()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  public void theExpandedRangePredicateMatchesRowComparison() throws Exception {
    // The form used for databases without row comparison: same rows as PostgreSQL's native one.
    KeyRange range = new KeyRange(new Object[] {"east", java.sql.Date.valueOf("2024-02-01"), 100},
        new Object[] {"west", java.sql.Date.valueOf("2024-01-15"), 5});
    List<String> keys = List.of("q.region", "q.day", "q.seq");
    String expanded = Partitioner.where(keys, range);
    try (Connection c = pg.connect(DB)) {
      long a = count(c, "SELECT COUNT(*) FROM composite q WHERE " + expanded, Partitioner.parameters(range));
      long b = count(c, "SELECT COUNT(*) FROM composite q WHERE (region, day, seq) >= (?, ?, ?) AND (region, day, seq) < (?, ?, ?)",
          List.of("east", java.sql.Date.valueOf("2024-02-01"), 100, "west", java.sql.Date.valueOf("2024-01-15"), 5));
      assertEquals(b, a);
      assertTrue(a > 1000);
    }
  }

  private static long count(Connection c, String sql, List<Object> params) throws SQLException {
    try (var ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.size(); i++) {
        ps.setObject(i + 1, params.get(i));
      }
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  public void readersSeeTheExportedSnapshotNotLaterChanges() throws Exception {
    JdbcSource s = source();
    try (Connection c = pg.connect(DB); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS moving (id int PRIMARY KEY, v text); TRUNCATE moving;"
          + " INSERT INTO moving VALUES (1, 'before'), (2, 'before')");
    }
    SourceTable t;
    try (Connection c = s.open()) {
      t = SourceTable.ofTable(c, s, "moving", null);
    }
    try (PostgresSnapshot snapshot = PostgresSnapshot.export(s)) {
      try (Connection c = pg.connect(DB); Statement st = c.createStatement()) {
        st.execute("UPDATE moving SET v = 'after' WHERE id = 1; DELETE FROM moving WHERE id = 2; INSERT INTO moving VALUES (3, 'after')");
        var rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text");
        rs.next();
        assertTrue("changes after the snapshot sort after its position",
            Lsn.parse(rs.getString(1)) > snapshot.lsn());
      }
      ReadChanges.Result read = p.apply(ReadJdbcSnapshot.of(s, t, List.of(KeyRange.all()), Sequence.of(snapshot.lsn()), "m")
          .withSnapshotId(snapshot.id()));
      PAssert.that(read.changes().apply(MapElements.into(TypeDescriptors.strings()).via(Change::rowJson)))
          .containsInAnyOrder("\"id\":1,\"v\":\"before\"", "\"id\":2,\"v\":\"before\"");
      p.run().waitUntilFinish();
    }
  }

  @Test
  public void problemsAreNamedWithoutThePassword() throws Exception {
    JdbcSource s = source();
    try (Connection c = s.open()) {
      assertTrue(assertThrows(SQLException.class, () -> SourceTable.ofTable(c, s, "public.nope", null)).getMessage()
          .startsWith("table public.nope does not exist in jdbc:postgresql://127.0.0.1:"));
      assertTrue(assertThrows(SQLException.class, () -> SourceTable.ofTable(c, s, "no_pk", null)).getMessage()
          .contains("table no_pk has no primary key; name the columns that identify a row with --keys"));
      assertEquals(List.of("a"), SourceTable.ofTable(c, s, "no_pk", List.of("a")).schema().keyColumns());
      assertTrue(assertThrows(SQLException.class, () -> SourceTable.ofQuery(c, s, "SELECT 1 AS x", List.of())).getMessage()
          .contains("--jdbcQuery needs --keys"));
    }
    Path wrong = tmp.newFile("wrong").toPath();
    Files.writeString(wrong, "not-the-password");
    String msg = assertThrows(SQLException.class,
        () -> JdbcSource.of(pg.url(DB) + "?password=leak", "postgres").withPasswordFile(wrong.toString()).open()).getMessage();
    assertTrue(msg, msg.contains("password authentication failed for user \"postgres\""));
    assertTrue(msg, msg.contains("?password=***"));
    assertFalse(msg, msg.contains("not-the-password") || msg.contains("leak"));
    msg = assertThrows(SQLException.class, () -> JdbcSource.of("jdbc:postgresql://127.0.0.1:1/x", "u").open()).getMessage();
    assertTrue(msg, msg.startsWith("cannot connect to jdbc:postgresql://127.0.0.1:1/x as u: Connection to 127.0.0.1:1 refused"));
    msg = assertThrows(SQLException.class, () -> JdbcSource.of(pg.url(DB), "u").withPasswordEnv("REPLICATOR_NO_SUCH_VAR").open()).getMessage();
    assertEquals("--jdbcPasswordEnv=REPLICATOR_NO_SUCH_VAR: the environment variable is not set", msg);
  }

  @Test
  public void queriesAreReadWithGivenKeys() throws Exception {
    JdbcSource s = source();
    SourceTable t;
    try (Connection c = s.open()) {
      t = SourceTable.ofQuery(c, s, "SELECT id, t AS label FROM all_types WHERE id < 3", List.of("id"));
    }
    ReadChanges.Result read = p.apply(ReadJdbcSnapshot.of(s, t, List.of(KeyRange.all()), Sequence.of(1), "q"));
    PAssert.that(read.changes().apply(MapElements.into(TypeDescriptors.strings()).via(Change::rowJson)))
        .containsInAnyOrder("\"id\":1,\"label\":\"한국어 \\\"q\\\" \\\\ tab\\tx\"", "\"id\":2,\"label\":\"\"");
    p.run().waitUntilFinish();
  }
}
