package io.replicator.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.testing.KafkaBroker;
import io.replicator.testing.PostgresServer;
import io.replicator.warehouse.bigquery.FakeBigQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The replicate pipeline translated by Beam's own Dataflow runner, without GCP: it writes a
 * classic template (the job graph) to a local file instead of submitting it, with no credentials
 * and no path checks. Translation serialises every DoFn and coder, so what would fail a Dataflow
 * launch but pass on the DirectRunner fails here.
 */
public class DataflowTranslationTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private FakeBigQuery bigQuery;
  private Replication r;
  private Path dir;

  @Before
  public void setUp() throws Exception {
    bigQuery = new FakeBigQuery();
    dir = tmp.getRoot().toPath();
    r = new Replication(dir);
  }

  @After
  public void tearDown() {
    bigQuery.close();
  }

  private Replication.Outcome translate(String... extra) throws Exception {
    Path in = r.write(List.of("{\"id\":1,\"region\":\"a\",\"_op\":\"INSERT\",\"_sequence_num\":1}"), 1);
    return translateWith(new String[] {"--changes=" + in + "/*.jsonl", "--snapshot=" + in + "/*.jsonl"}, extra);
  }

  private Replication.Outcome translateWith(String[] input, String... extra) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of(input));
    args.addAll(dataflowOptions());
    args.addAll(List.of(extra));
    return r.run(args.toArray(String[]::new));
  }

  /** A template written for Dataflow, its API a fake: the launcher does not wait for the job. */
  private List<String> dataflowOptions() throws Exception {
    Path small = Files.writeString(dir.resolve("staged.txt"), "the only file to stage");
    return List.of(
      "--warehouse=bigquery:my-project.replica", "--bigQueryEndpoint=" + bigQuery.endpoint(),
      "--runner=DataflowRunner", "--project=my-project", "--region=europe-west1",
      "--templateLocation=" + dir.resolve("template.json"), "--stagingLocation=" + dir.resolve("df-staging"),
      "--tempLocation=" + dir.resolve("temp"), "--gcpTempLocation=" + dir.resolve("temp"),
      "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
      "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
      "--filesToStage=" + small);
  }

  @Test
  public void theMergePipelineTranslatesForDataflow() throws Exception {
    Replication.Outcome out = translate().ok();
    assertThat(out.out(), containsString("replicate t: template written to " + dir.resolve("template.json")));
    String job = Files.readString(dir.resolve("template.json"));
    for (String step : List.of("Read snapshot", "Read changes", "Stage batches", "Merge batches", "Finish snapshot",
        "Write dead letters")) {
      assertThat(step, job, containsString(step));
    }
  }

  @Test
  public void theCdcPipelineTranslatesForDataflow() throws Exception {
    translate("--bigQueryWriteMethod=cdc").ok();
    String job = Files.readString(dir.resolve("template.json"));
    assertThat(job, containsString("Write CDC rows"));
    assertTrue(job, !job.contains("Merge batches"));
  }

  @Test
  public void theKafkaStreamTranslatesForDataflow() throws Exception {
    // Dataflow splits a Kafka read at launch, by the topic's partitions: the launcher needs the broker.
    Replication.Outcome out;
    try (KafkaBroker kafka = KafkaBroker.start()) {
      kafka.createTopic("app.cdc", 3);
      out = translateWith(new String[] {"--streaming=true", "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
          "--kafkaTopics=app.cdc", "--changeFormat=debezium"}).ok();
    }
    assertThat(out.out(), containsString("replicate --streaming t: template written to"));
    String job = Files.readString(dir.resolve("template.json"));
    for (String step : List.of("Read Kafka", "Windows of the load interval", "Stage batches", "Merge batches",
        "Commit progress", "Write dead letters")) {
      assertThat(step, job, containsString(step));
    }
    assertThat(job, containsString("JOB_TYPE_STREAMING"));
  }

  @Test
  public void thePubsubStreamTranslatesForDataflow() throws Exception {
    translateWith(new String[] {"--streaming=true", "--pubsubSubscription=projects/my-project/subscriptions/cdc"}).ok();
    String job = Files.readString(dir.resolve("template.json"));
    assertThat(job, containsString("Read Pub/Sub"));
    assertThat(job, containsString("Commit progress"));
  }

  @Test
  public void theFileDropStreamTranslatesForDataflow() throws Exception {
    translateWith(new String[] {"--streaming=true", "--changes=" + dir + "/drops/*.json", "--changeFormat=debezium",
        "--watchInterval=30s"}).ok();
    assertThat(Files.readString(dir.resolve("template.json")), containsString("Watch change files"));
  }

  @Test
  public void aTableFollowedThroughAReplicationSlotTranslatesForDataflow() throws Exception {
    // The launcher makes the slot and reads the table's schema: it needs the database.
    PostgresServer pg = PostgresServer.get();
    String db = pg.createDatabase("translate_" + Math.abs(dir.getFileName().toString().hashCode()));
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE t (id bigint, region text, \"select\" text, \"설명\" text, amount bigint,"
          + " PRIMARY KEY (id, region))");
    }
    Path password = Files.writeString(dir.resolve("pw"), PostgresServer.PASSWORD);
    String slot = "translate_" + Math.abs(dir.getFileName().toString().hashCode());
    try {
      translateWith(new String[] {"--jdbcUrl=" + pg.url(db), "--jdbcTable=public.t", "--jdbcUser=" + PostgresServer.USER,
          "--jdbcPasswordFile=" + password, "--slot=" + slot}).ok();
      String job = Files.readString(dir.resolve("template.json"));
      for (String step : List.of("Read source table", "Read source changes", "Apply reload", "Confirm the read",
          "Write dead letters")) {
        assertThat(step, job, containsString(step));
      }
    } finally {
      try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
        st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
      }
    }
  }

  @Test
  public void tablesFollowedThroughASlotReadThemselvesFirstInTheJobForDataflow() throws Exception {
    // A launcher that does not wait (a template, here) cannot run the first reads before the job:
    // they are steps of it, and the slot is read after them; so for a stream and for a run on a
    // schedule.
    PostgresServer pg = PostgresServer.get();
    String name = "translate_tables_" + Math.abs(dir.getFileName().toString().hashCode());
    String db = pg.createDatabase(name);
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, note text); CREATE TABLE customers (id int, region text,"
          + " PRIMARY KEY (id, region)); INSERT INTO orders VALUES (1, 'one')");
    }
    Path password = Files.writeString(dir.resolve("pw"), PostgresServer.PASSWORD);
    try {
      for (boolean streaming : List.of(true, false)) {
        List<String> args = new java.util.ArrayList<>(List.of("replicate", "--streaming=" + streaming,
            "--tables=public.orders,public.customers", "--jdbcUrl=" + pg.url(db), "--jdbcUser=" + PostgresServer.USER,
            "--jdbcPasswordFile=" + password, "--slot=" + name, "--staging=gs://bucket/staging"));
        args.addAll(dataflowOptions());
        Replication.Outcome out = Replication.cli(args.toArray(String[]::new)).ok();
        assertThat(out.out(), containsString("template written to"));
        assertThat(out.out(), containsString(
            "first reads in the job, before it reads the slot: public.orders (1 partition), public.customers (1 partition)"));
        String job = Files.readString(dir.resolve("template.json"));
        for (String step : List.of("Read orders whole", "Read customers whole", "First reads applied",
            "After the first reads", "Read slot", "Apply reload", "Merge batches", "Commit progress")) {
          assertThat(streaming + ": " + step, job, containsString(step));
        }
        assertEquals(job, streaming, job.contains("JOB_TYPE_STREAMING"));
      }
    } finally {
      try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
        st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + name + "'");
      }
    }
  }

  @Test
  public void aDuckDbWarehouseIsRefusedOnDataflow() throws Exception {
    Path in = r.write(List.of("{\"id\":1,\"region\":\"a\",\"_op\":\"INSERT\",\"_sequence_num\":1}"), 1);
    Replication.Outcome out = r.run("--changes=" + in + "/*.jsonl", "--runner=DataflowRunner", "--project=my-project",
        "--region=europe-west1");
    assertEquals(out.err(), 2, out.code());
    assertThat(out.err(), containsString("Dataflow workers cannot reach"));
  }
}
