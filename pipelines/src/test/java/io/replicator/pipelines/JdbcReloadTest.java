package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.replicator.testing.PostgresServer;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import io.replicator.warehouse.bigquery.FakeBigQuery;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Full-table reloads from a real PostgreSQL table into DuckDB, as a user runs them. */
public class JdbcReloadTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private PostgresServer pg;
  private String db;
  private Path dir;
  private Path passwordFile;

  @Before
  public void setUp() throws Exception {
    pg = PostgresServer.get();
    db = pg.createDatabase("reload_" + Math.abs(tmp.getRoot().getName().hashCode()));
    dir = tmp.getRoot().toPath();
    passwordFile = dir.resolve("pw");
    Files.writeString(passwordFile, PostgresServer.PASSWORD + "\n");
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("""
          CREATE TABLE spind_dly (gvkey text, datadate date, spiprc numeric(12,4), spinumn integer,
            "select" text, "설명" text, PRIMARY KEY (gvkey, datadate));
          INSERT INTO spind_dly
            SELECT lpad((3000 + g % 50)::text, 6, '0'), DATE '2000-01-03' + (g / 50), round((1000 + g * 0.37)::numeric, 4),
                   400 + g % 100, CASE WHEN g % 7 = 0 THEN NULL ELSE 'tab	"q" \\ ' || g END, '한국어 ' || g
            FROM generate_series(0, 29999) g;
          ANALYZE spind_dly;
          CREATE TABLE loose (a int, b text);
          """);
    }
  }

  private Replication.Outcome replicate(String... extra) {
    return command("replicate", extra);
  }

  private Replication.Outcome command(String pipeline, String... extra) {
    List<String> args = new ArrayList<>(List.of(pipeline, "--table=spind_dly", "--jdbcUrl=" + pg.url(db),
        "--jdbcTable=public.spind_dly", "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile,
        "--staging=" + dir.resolve("staging"), "--warehouse=duckdb:" + dir.resolve("w.duckdb")));
    for (String e : extra) {
      String name = e.substring(0, e.indexOf('=') + 1);
      args.removeIf(a -> a.startsWith(name));
      args.add(e);
    }
    return Replication.cli(args.toArray(String[]::new));
  }

  private static List<String> dump(Connection c, String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          Object o = rs.getObject(i);
          sb.append(i > 1 ? "|" : "").append(o instanceof BigDecimal d ? d.stripTrailingZeros().toPlainString() : String.valueOf(o));
        }
        rows.add(sb.toString());
      }
    }
    rows.sort(null);
    return rows;
  }

  private static final String COLUMNS = "gvkey, datadate, spiprc, spinumn, \"select\", \"설명\"";

  private List<String> source() throws SQLException {
    try (Connection c = pg.connect(db)) {
      return dump(c, "SELECT " + COLUMNS + " FROM spind_dly");
    }
  }

  private List<String> target() throws SQLException {
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"))) {
      return dump(w.connection(), "SELECT " + COLUMNS + " FROM spind_dly");
    }
  }

  @Test
  public void reloadsATableThenReloadsItAgainAfterItChanged() throws Exception {
    Replication.Outcome first = replicate("--jdbcPartitions=4");
    assertEquals(first.err(), 0, first.code());
    assertTrue(first.out(), first.out().contains("read        30,000 rows of public.spind_dly in 4 partitions, one exported snapshot"));
    assertEquals(source(), target());

    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("""
          UPDATE spind_dly SET spiprc = spiprc + 1 WHERE spinumn = 401;
          DELETE FROM spind_dly WHERE spinumn = 402;
          UPDATE spind_dly SET datadate = datadate + 10000 WHERE spinumn = 403;
          INSERT INTO spind_dly VALUES ('999999', '2030-01-01', 1.5, 1, 'new', '새 행');
          """);
    }
    Replication.Outcome reload = replicate("--snapshotMode=replace");
    assertEquals(reload.err(), 0, reload.code());
    assertEquals(source(), target());
    assertTrue(reload.out(), reload.out().contains("removed     600 rows the reload no longer has"));
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"))) {
      assertEquals(List.of("600"), dump(w.connection(), "SELECT COUNT(*) FROM _deleted_spind_dly"));
    }
  }

  @Test
  public void aRowThatCannotBeConvertedKeepsItsTargetRowAndOneWithoutAKeyStopsTheRemoval() throws Exception {
    assertEquals(0, replicate().code());
    List<String> before = target();
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("""
          UPDATE spind_dly SET spiprc = 'NaN' WHERE gvkey = '003001' AND datadate = DATE '2000-01-03';
          DELETE FROM spind_dly WHERE spinumn = 402;
          """);
    }
    Replication.Outcome reload = replicate("--snapshotMode=replace");
    assertEquals(reload.err(), 0, reload.code());
    assertTrue(reload.out(), reload.out().contains("rejected    1 dead letters"));
    assertTrue(reload.out(), reload.out().contains("kept        1 rows whose reload line was rejected"));
    assertTrue(reload.out(), reload.out().contains("removed     300 rows the reload no longer has"));
    // The row the database could not give keeps the value it had; every other row is the source's.
    List<String> expected = new ArrayList<>(source().stream().filter(r -> !r.startsWith("003001|2000-01-03|")).toList());
    expected.add(before.stream().filter(r -> r.startsWith("003001|2000-01-03|")).findFirst().orElseThrow());
    expected.sort(null);
    List<String> now = new ArrayList<>(target());
    now.sort(null);
    assertEquals(expected, now);
    // Verification names the row it could not compare, and is not misled into a difference by it.
    Replication.Outcome verify = command("verify");
    assertEquals(verify.err() + verify.out(), 0, verify.code());
    assertTrue(verify.out(), verify.out().contains("source and target match"));
    assertTrue(verify.out(), verify.out().contains("1 source rows could not be read (dead letters); 1 of them"
        + " name their key, which is not compared"));

    // A row whose key itself cannot be converted: nothing may be removed.
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("""
          UPDATE spind_dly SET datadate = 'infinity' WHERE gvkey = '003004' AND datadate = DATE '2000-01-03';
          DELETE FROM spind_dly WHERE spinumn = 403;
          """);
    }
    Replication.Outcome stopped = replicate("--snapshotMode=replace");
    assertEquals(stopped.err() + stopped.out(), 1, stopped.code());
    assertTrue(stopped.err(), stopped.err().contains("1 rejected snapshot line has no readable key"));
    assertTrue(stopped.err(), stopped.err().contains("no row was removed"));
    assertEquals("the rows deleted at the source are still in the target", now.size(), target().size());
  }

  @Test
  public void verificationFindsTheKeysThatDiffer() throws Exception {
    Replication.Outcome run = replicate("--jdbcPartitions=3", "--verify=true");
    assertEquals(run.err() + run.out(), 0, run.code());
    assertTrue(run.out(), run.out().contains("verify spind_dly: source and target match"));
    assertTrue(run.out(), run.out().contains("source      30,000 rows"));
    assertTrue(run.out(), run.out().contains("target      30,000 rows"));

    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb")); Statement st = w.connection().createStatement()) {
      st.execute("UPDATE spind_dly SET \"설명\" = 'tampered' WHERE gvkey = '003001' AND datadate = DATE '2000-01-03'");
      st.execute("DELETE FROM spind_dly WHERE gvkey = '003002' AND datadate = DATE '2000-01-03'");
      st.execute("INSERT INTO spind_dly VALUES ('777777', DATE '2001-01-01', 1, 1, NULL, NULL, 1)");
    }
    Replication.Outcome verify = command("verify");
    assertEquals(verify.err() + verify.out(), 3, verify.code());
    assertTrue(verify.out(), verify.out().contains("SOURCE AND TARGET DIFFER"));
    assertTrue(verify.out(), verify.out().contains("target      30,000 rows"));
    String report = verify.out().replaceAll("(?s).*report: (\\S+).*", "$1");
    String text = Files.readString(Path.of(report));
    assertTrue(text, text.contains("\"different_keys\":[\"[\\\"003001\\\",\\\"2000-01-03\\\"]\"]"));
    assertTrue(text, text.contains("\"missing_in_target_keys\":[\"[\\\"003002\\\",\\\"2000-01-03\\\"]\"]"));
    assertTrue(text, text.contains("\"not_in_source_keys\":[\"[\\\"777777\\\",\\\"2001-01-01\\\"]\"]"));
    assertTrue(verify.out(), verify.out().contains(", 3 keys; report: "));
  }

  @Test
  public void aThroughputBoundReadsEveryRowInLanes() throws Exception {
    Replication.Outcome run = replicate("--jdbcPartitions=6", "--maxThroughput=20MB/s", "--verify=true");
    assertEquals(run.err() + run.out(), 0, run.code());
    assertTrue(run.out(), run.out().contains("read        30,000 rows of public.spind_dly in 6 partitions"));
    assertTrue(run.out(), run.out().contains("source and target match"));
    assertEquals(source(), target());
  }

  @Test
  public void aMillionRowTableIsReadInPartitionsOnEmbeddedFlink() throws Exception {
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE big (id bigint PRIMARY KEY, region text, amount numeric(12,2), at timestamptz);"
          + " INSERT INTO big SELECT g, 'r' || (g % 97), g * 0.01, TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * INTERVAL '1 second'"
          + " FROM generate_series(1, 1000000) g; ANALYZE big;");
    }
    Replication.Outcome run = replicate("--table=big", "--jdbcTable=public.big", "--runner=FlinkRunner", "--parallelism=2",
        "--verify=true");
    assertEquals(run.err() + run.out(), 0, run.code());
    assertTrue(run.out(), run.out().contains("read        1,000,000 rows of public.big in 4 partitions, one exported snapshot"));
    assertTrue(run.out(), run.out().contains("verify big: source and target match"));
    assertTrue(run.out(), run.out().contains("target      1,000,000 rows"));
  }

  @Test
  public void launchProblemsAreNamed() throws Exception {
    Files.writeString(dir.resolve("bad"), "wrong\n");
    Replication.Outcome wrong = replicate("--jdbcPasswordFile=" + dir.resolve("bad"));
    assertEquals(1, wrong.code());
    assertTrue(wrong.err(), wrong.err().contains("password authentication failed for user \"postgres\""));
    assertFalse(wrong.err(), wrong.err().contains("wrong"));

    Replication.Outcome missing = replicate("--jdbcTable=public.nope");
    assertEquals(1, missing.code());
    assertTrue(missing.err(), missing.err().startsWith("replicator: failed: table public.nope does not exist in jdbc:postgresql://"));

    Replication.Outcome noKey = replicate("--jdbcTable=loose");
    assertTrue(noKey.err(), noKey.err().contains("table loose has no primary key; name the columns that identify a row with --keys"));

    Replication.Outcome down = replicate("--jdbcUrl=jdbc:postgresql://127.0.0.1:1/x");
    assertEquals(1, down.code());
    assertTrue(down.err(), down.err().contains("cannot connect to jdbc:postgresql://127.0.0.1:1/x as postgres: Connection to 127.0.0.1:1 refused"));

    Replication.Outcome rate = replicate("--maxThroughput=quick");
    assertEquals(2, rate.code());
    assertTrue(rate.err(), rate.err().contains("--maxThroughput: 'quick' is not a rate"));

    Replication.Outcome both = replicate("--snapshot=/tmp/x.jsonl");
    assertEquals(2, both.code());
    assertTrue(both.err(), both.err().contains("--snapshot and --jdbcUrl both give a snapshot; use one"));
  }

  @Test
  public void theThroughputBenchmarkReloadsUnderEachBoundAndPrintsTheRates() {
    Replication.Outcome o = Replication.cli("bench", "throughput", "--jdbcUrl=" + pg.url(db), "--jdbcTable=public.spind_dly",
        "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + passwordFile, "--dir=" + dir.resolve("bench"),
        "--bounds=2MB/s");
    assertEquals(o.err(), 0, o.code());
    assertTrue(o.out(), o.out().contains("Throughput bound benchmark"));
    assertTrue(o.out(), o.out().matches("(?s).*\nunbounded\\s+30,000 .*"));
    assertTrue(o.out(), o.out().matches("(?s).*\n2MB/s\\s+30,000 .*(yes|NO)\n.*"));
    Replication.Outcome bad = Replication.cli("bench", "throughput", "--jdbcUrl=" + pg.url(db), "--jdbcTable=public.spind_dly",
        "--maxThroughput=1MB/s");
    assertEquals(2, bad.code());
    assertTrue(bad.err(), bad.err().contains("--maxThroughput is the benchmark's to set"));
  }

  @Test
  public void reloadsIntoBigQueryThroughItsLoadAndMergeJobs() throws Exception {
    try (FakeBigQuery bigQuery = new FakeBigQuery()) {
      Replication.Outcome o = replicate("--warehouse=bigquery:my-project.replica", "--bigQueryEndpoint=" + bigQuery.endpoint(),
          "--snapshotMode=replace", "--maxReloadDeletePercent=70");
      assertEquals(o.err(), 0, o.code());
      List<FakeBigQuery.Request> jobs = bigQuery.jobInserts();
      long loads = jobs.stream().filter(q -> q.jobId().contains("_load_")).count();
      assertTrue(o.out(), loads >= 1);
      // Every batch loaded, then one transaction applies them all and the removal.
      assertEquals(1, jobs.stream().filter(q -> q.jobId().contains("_apply_")).count());
      assertEquals(0, jobs.stream().filter(q -> q.jobId().contains("_merge_")).count());
      // The target was created from the database's own schema, its key clustering it.
      String ddl = jobs.get(0).body().path("configuration").path("query").path("query").asText();
      assertTrue(ddl, ddl.contains("`spiprc` NUMERIC") && ddl.contains("CLUSTER BY `gvkey`, `datadate`"));
      // The fake counts each staged row of the applied batches as inserted.
      long staged = o.count("inserted");
      assertEquals("every source row was staged and merged once", 30_000, staged);
    }
  }

  @Test
  public void aDatabaseReloadTranslatesForDataflowWithoutHoldingASnapshot() throws Exception {
    try (FakeBigQuery bigQuery = new FakeBigQuery()) {
      Path small = Files.writeString(dir.resolve("staged.txt"), "the only file to stage");
      Replication.Outcome o = replicate("--warehouse=bigquery:my-project.replica", "--bigQueryEndpoint=" + bigQuery.endpoint(),
          "--snapshotMode=replace", "--runner=DataflowRunner", "--project=my-project", "--region=europe-west1",
          "--templateLocation=" + dir.resolve("template.json"), "--stagingLocation=" + dir.resolve("df-staging"),
          "--gcpTempLocation=" + dir.resolve("temp"),
          "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
          "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
          "--filesToStage=" + small);
      assertEquals(o.err(), 0, o.code());
      String job = Files.readString(dir.resolve("template.json"));
      assertTrue(job.contains("Read source table"));
      assertFalse("the password stays out of the job", job.contains(PostgresServer.PASSWORD));
      // No exported snapshot to hold: nothing of the source stays open after the launch.
      try (Connection c = pg.connect(db); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
              + " AND pid <> pg_backend_pid()")) {
        rs.next();
        assertEquals(0, rs.getInt(1));
      }
    }
  }
}
