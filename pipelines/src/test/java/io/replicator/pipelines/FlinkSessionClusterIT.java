package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.testing.ChildProcess;
import io.replicator.testing.PostgresServer;
import io.replicator.testing.S3ProxyServer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.BlockJUnit4ClassRunner;
import org.junit.runners.model.InitializationError;
import org.junit.runners.model.RunnerScheduler;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A Flink session cluster as users run one: a JobManager and two TaskManagers, each its own process
 * started from the bundled jar's Flink runtime, and {@code replicate} submitted to it with
 * {@code --flinkMaster}, job after job. Each job's classes live in a class loader of their own, so
 * this is where a driver found through DriverManager went missing from the second job on; and with
 * the slots spread over both TaskManagers, two processes merge into one DuckDB file, taking turns.
 * Two tests run at once, as two teams' jobs share a cluster: a job mostly waits (for its tasks to
 * deploy, a poll, a window), and the cluster has slots for two.
 */
@RunWith(FlinkSessionClusterIT.TwoAtOnce.class)
public class FlinkSessionClusterIT {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final Path JAR = Path.of("target", "replicator-bundled.jar").toAbsolutePath();
  private static final String SCHEMA = """
      [{"name":"id","type":"INT64","mode":"REQUIRED"},{"name":"name","type":"STRING"},
       {"name":"amount","type":"NUMERIC"},{"name":"note","type":"STRING"}]""";
  /**
   * What Flink's own start scripts give a Java 17 JVM: without them a task's error cannot even be
   * reported (Flink rewrites an OutOfMemoryError's message by reflection) and the TaskManager dies.
   */
  static final List<String> FLINK_JAVA_17_OPENS = List.of("--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.text=ALL-UNNAMED",
      "--add-opens=java.base/java.time=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");
  private static final List<ChildProcess> CLUSTER = new ArrayList<>();
  private static int restPort;
  private static S3ProxyServer s3;
  private static Path credentials;

  @BeforeClass
  public static void startCluster() throws Exception {
    s3 = S3ProxyServer.start("cluster-identity", "cluster-credential");
    // The TaskManagers copy objects, so they read the profile: as a user's workers read theirs.
    credentials = TMP.newFile("aws-credentials").toPath();
    Files.writeString(credentials, "[cluster]\naws_access_key_id = cluster-identity\n"
        + "aws_secret_access_key = cluster-credential\n");
    restPort = ChildProcess.freePort();
    Path conf = TMP.newFolder("flink-conf").toPath();
    // A TaskManager started on its own (not by Flink's scripts) needs its cores and every memory
    // size spelled out.
    Files.writeString(conf.resolve("flink-conf.yaml"), String.join("\n",
        "jobmanager.rpc.address: localhost", "jobmanager.rpc.port: " + ChildProcess.freePort(),
        "jobmanager.bind-host: localhost", "rest.address: localhost", "rest.bind-address: localhost",
        "rest.port: " + restPort, "jobmanager.memory.process.size: 768m",
        "taskmanager.bind-host: localhost", "taskmanager.host: localhost", "taskmanager.numberOfTaskSlots: 2",
        // A job of parallelism 2 takes a slot in each TaskManager, so both processes merge.
        "cluster.evenly-spread-out-slots: true",
        // The processes start together; a TaskManager that finds no JobManager yet asks again soon.
        "cluster.registration.error-delay: 500", "cluster.registration.refused-registration-delay: 500",
        "taskmanager.cpu.cores: 2", "taskmanager.memory.framework.heap.size: 128m",
        "taskmanager.memory.task.heap.size: 512m", "taskmanager.memory.managed.size: 64m",
        "taskmanager.memory.network.min: 128m", "taskmanager.memory.network.max: 128m",
        "taskmanager.memory.framework.off-heap.size: 128m", "taskmanager.memory.task.off-heap.size: 128m",
        "taskmanager.memory.jvm-metaspace.size: 256m", "taskmanager.memory.jvm-overhead.min: 192m",
        // The bundled jar is the cluster's own classpath (as in Flink's lib/): each job's classes come
        // from it, loaded once, instead of a copy per job that Beam on Flink never unloads (a
        // metaspace leak of tens of MB per job that kills a TaskManager after a few jobs).
        "classloader.resolve-order: parent-first",
        "taskmanager.memory.jvm-overhead.max: 192m", ""));
    String overview = "http://localhost:" + restPort + "/overview";
    // The jobs here are small: C1 alone and the serial collector leave the two cores to the work
    // (measured here: a repeated job's submit-to-done time fell from 11-14 s to 7-10 s with them).
    List<String> jobManager = new ArrayList<>(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    jobManager.addAll(FLINK_JAVA_17_OPENS);
    jobManager.addAll(List.of("-cp", JAR.toString(),
        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "--configDir", conf.toString()));
    CLUSTER.add(ChildProcess.startJava("Flink JobManager", jobManager, conf.resolve("jobmanager.log"), () -> true,
        Duration.ofMinutes(1)));
    for (int i = 1; i <= 2; i++) {
      int started = i;
      List<String> jvm = new ArrayList<>(List.of("-Xmx640m", "-XX:MaxDirectMemorySize=384m", "-XX:MaxMetaspaceSize=256m",
          "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
      jvm.addAll(FLINK_JAVA_17_OPENS);
      jvm.addAll(List.of("-Daws.sharedCredentialsFile=" + credentials, "-cp", JAR.toString(),
          "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "--configDir", conf.toString()));
      // The three start together; the last one waits until both TaskManagers have registered.
      CLUSTER.add(ChildProcess.startJava("Flink TaskManager " + i, jvm, conf.resolve("taskmanager-" + i + ".log"),
          () -> started < 2 || taskManagers(overview) >= 2, Duration.ofMinutes(1)));
    }
  }

  /** Runs a class's tests two at a time. */
  public static final class TwoAtOnce extends BlockJUnit4ClassRunner {
    public TwoAtOnce(Class<?> type) throws InitializationError {
      super(type);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      setScheduler(new RunnerScheduler() {
        @Override
        public void schedule(Runnable test) {
          pool.execute(test);
        }

        @Override
        public void finished() {
          pool.shutdown();
          try {
            pool.awaitTermination(30, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      });
    }
  }

  @AfterClass
  public static void stopCluster() {
    Collections.reverse(CLUSTER);
    CLUSTER.forEach(ChildProcess::close);
    if (s3 != null) {
      s3.close();
    }
  }

  /** The id of the running job named {@code name}, or null. */
  private static String runningJob(String name) {
    try (var in = java.net.URI.create("http://localhost:" + restPort + "/jobs/overview").toURL().openStream()) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(
              "\"jid\":\"([0-9a-f]+)\",\"name\":\"" + name + "\"[^}]*\"state\":\"RUNNING\"")
          .matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      return m.find() ? m.group(1) : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /** Cancels the running job named {@code name}, through the cluster's REST API. */
  private static void cancelRunningJob(String name) throws Exception {
    String id = runningJob(name);
    if (id != null) {
      java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://localhost:" + restPort + "/jobs/" + id + "?mode=cancel"))
          .method("PATCH", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding());
    }
  }

  /** The target's rows, read between two merges of a running job (none while one holds the file). */
  private static List<String> rowsBetweenMerges(Path db) {
    if (!Files.exists(db)) {
      return List.of();
    }
    java.util.Properties readOnly = new java.util.Properties();
    readOnly.setProperty("duckdb.read_only", "true");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db, readOnly)) {
      return rows(c, "SELECT id, name, amount::VARCHAR, note, _sequence_num FROM spind ORDER BY id");
    } catch (Exception e) {
      return List.of();
    }
  }

  /** How many TaskManagers ran a subtask of the finished job {@code name}'s step {@code step}. */
  private static long taskManagersThatRan(String name, String step) throws Exception {
    String base = "http://localhost:" + restPort + "/jobs/";
    java.util.regex.Matcher job = java.util.regex.Pattern.compile("\"jid\":\"([0-9a-f]+)\",\"name\":\"" + name + "\"")
        .matcher(get(base + "overview"));
    assertTrue("no job " + name, job.find());
    java.util.regex.Matcher vertex = java.util.regex.Pattern.compile("\"id\":\"([0-9a-f]+)\",\"name\":\"[^\"]*" + step)
        .matcher(get(base + job.group(1)));
    assertTrue("no step " + step + " in job " + name, vertex.find());
    String taskManagers = get(base + job.group(1) + "/vertices/" + vertex.group(1) + "/taskmanagers");
    return java.util.regex.Pattern.compile("\"taskmanager-id\":\"([^\"]+)\"").matcher(taskManagers).results()
        .map(r -> r.group(1)).distinct().count();
  }

  private static String get(String url) throws java.io.IOException {
    try (var in = java.net.URI.create(url).toURL().openStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static int taskManagers(String overview) {
    try {
      String json = new String(java.net.URI.create(overview).toURL().openStream().readAllBytes(), StandardCharsets.UTF_8);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"taskmanagers\":(\\d+)").matcher(json);
      return m.find() ? Integer.parseInt(m.group(1)) : 0;
    } catch (java.io.IOException e) {
      return 0;
    }
  }

  /** {@code replicate} submitted to the cluster by a launcher process of its own, as a user runs it. */
  private static String submit(String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("replicate"));
    args.addAll(List.of(options));
    return submitCommand(args);
  }

  /** A pipeline command ({@code replicate}, {@code s3-sync}) submitted to the cluster. */
  private static String submitCommand(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ChildProcess.java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Daws.sharedCredentialsFile=" + credentials,
        "-jar", JAR.toString(), args.get(0), "--runner=FlinkRunner", "--flinkMaster=localhost:" + restPort,
        "--parallelism=2", "--jarOnCluster=true"));
    command.addAll(args.subList(1, args.size()));
    File out = TMP.newFile();
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out).start();
    assertTrue("the job did not finish in 3 minutes", p.waitFor(3, TimeUnit.MINUTES));
    String output = Files.readString(out.toPath(), StandardCharsets.UTF_8);
    assertEquals(output + clusterLogTails(), 0, p.exitValue());
    return output;
  }

  /** The end of each cluster process's log: why a job failed is often only there. */
  private static String clusterLogTails() throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    try (var logs = Files.list(TMP.getRoot().toPath().resolve("flink-conf"))) {
      for (Path log : logs.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        sb.append("\n--- ").append(log.getFileName()).append(" (last 40 lines)\n")
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
      }
    }
    return sb.toString();
  }

  /** Every row of the table in key order, each column as text: what "the same target" means. */
  private static List<String> rows(Connection c, String query) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          sb.append(i == 1 ? "" : "|").append(rs.getString(i));
        }
        rows.add(sb.toString());
      }
    }
    return rows;
  }

  private static List<String> duckDbRows(Path db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db)) {
      return rows(c, "SELECT id, name, amount::VARCHAR, note, _sequence_num FROM spind ORDER BY id");
    }
  }

  /** A snapshot of 3,000 rows and 4,400 shuffled change lines (updates, deletes, key changes, duplicates). */
  private static Path writeData(String name) throws Exception {
    Path data = TMP.newFolder(name).toPath();
    Files.writeString(data.resolve("schema.json"), SCHEMA);
    Random random = new Random(21);
    StringBuilder snapshot = new StringBuilder();
    for (int id = 0; id < 3000; id++) {
      snapshot.append(String.format("{\"id\":%d,\"name\":\"n%d\",\"amount\":\"%d.%02d\",\"note\":\"été %d\"}%n",
          id, id, random.nextInt(10_000), random.nextInt(100), id));
    }
    Files.writeString(data.resolve("snapshot.jsonl"), snapshot);
    // Updates, deletes, key changes and duplicates, shuffled: the latest change per key must win.
    List<String> changes = new ArrayList<>();
    for (int seq = 10; seq < 4010; seq++) {
      int id = random.nextInt(3500);
      String line = switch (seq % 4) {
        case 0 -> String.format("{\"id\":%d,\"_op\":\"DELETE\",\"_sequence_num\":%d}", id, seq);
        case 1 -> String.format("{\"id\":%d,\"name\":\"moved\",\"amount\":\"1.5\",\"note\":\"키\",\"_op\":\"UPDATE\","
            + "\"_sequence_num\":%d,\"_before_id\":%d}", id, seq, random.nextInt(3500));
        default -> String.format("{\"id\":%d,\"name\":\"u%d\",\"amount\":\"%d\",\"note\":null,\"_op\":\"UPDATE\","
            + "\"_sequence_num\":%d}", id, seq, seq, seq);
      };
      changes.add(line);
      if (seq % 10 == 0) {
        changes.add(line);
      }
    }
    Collections.shuffle(changes, random);
    Files.write(data.resolve("changes.jsonl"), changes);

    return data;
  }

  @Test
  public void fileRunsEndLikeTheDirectRunnerJobAfterJob() throws Exception {
    Path data = writeData("data");
    String[] input = {"--table=spind", "--keys=id", "--schema=" + data.resolve("schema.json"),
        "--snapshot=" + data.resolve("snapshot.jsonl"), "--snapshotSequence=1", "--changes=" + data.resolve("changes.jsonl"),
        "--batchMaxBytes=64KB"};
    Path reference = TMP.newFolder("reference").toPath();
    List<String> direct = new ArrayList<>(List.of("replicate"));
    direct.addAll(List.of(input));
    direct.addAll(List.of("--staging=" + reference.resolve("staging"), "--warehouse=duckdb:" + reference.resolve("w.duckdb")));
    Replication.cli(direct.toArray(String[]::new)).ok();
    List<String> expected = duckDbRows(reference.resolve("w.duckdb"));
    assertTrue(expected.size() > 2000);

    for (int job = 1; job <= 2; job++) {
      Path run = TMP.newFolder("run" + job).toPath();
      List<String> options = new ArrayList<>(List.of(input));
      options.addAll(List.of("--staging=" + run.resolve("staging"), "--warehouse=duckdb:" + run.resolve("w.duckdb")));
      options.add("--jobName=files-" + job);
      String out = submit(options.toArray(String[]::new));
      assertTrue(out, out.contains("replicate spind: done in "));
      assertEquals("job " + job, expected, duckDbRows(run.resolve("w.duckdb")));
      assertEquals("TaskManagers that merged batches in job " + job, 2, taskManagersThatRan("files-" + job, "Merge batches"));
    }
  }

  @Test
  public void fileDropStreamsEndLikeTheDirectRunnerJobAfterJob() throws Exception {
    Path data = writeData("stream-data");
    List<String> changes = Files.readAllLines(data.resolve("changes.jsonl"));
    String[] table = {"--table=spind", "--keys=id", "--schema=" + data.resolve("schema.json"), "--batchMaxBytes=64KB"};
    Path reference = TMP.newFolder("stream-reference").toPath();
    List<String> direct = new ArrayList<>(List.of("replicate", "--changes=" + data.resolve("changes.jsonl"),
        "--staging=" + reference.resolve("staging"), "--warehouse=duckdb:" + reference.resolve("w.duckdb")));
    direct.addAll(List.of(table));
    Replication.cli(direct.toArray(String[]::new)).ok();
    List<String> expected = duckDbRows(reference.resolve("w.duckdb"));
    assertTrue(expected.size() > 1000);

    for (int job = 1; job <= 2; job++) {
      Path run = TMP.newFolder("stream" + job).toPath();
      Path drops = Files.createDirectories(run.resolve("drops"));
      // Half the changes are there when the stream starts; the rest land (whole, by a move) while it runs.
      Files.write(drops.resolve("part-1.jsonl"), changes.subList(0, changes.size() / 2));
      Path later = run.resolve("part-2.jsonl");
      Files.write(later, changes.subList(changes.size() / 2, changes.size()));
      // Uploading the bundled jar takes a while on a busy machine: drop once the job runs. Once the
      // target holds every row, cancel the job as a user would (--streamFor only bounds the wait).
      Path target = run.resolve("w.duckdb");
      String jobName = "file-drop-stream-" + job;
      Thread dropper = new Thread(() -> {
        try {
          long deadline = System.currentTimeMillis() + 120_000;
          while (runningJob(jobName) == null && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
          }
          Thread.sleep(1_000);
          Files.move(later, drops.resolve("part-2.jsonl"));
          while (System.currentTimeMillis() < deadline && !expected.equals(rowsBetweenMerges(target))) {
            Thread.sleep(500);
          }
          cancelRunningJob(jobName);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      dropper.start();
      List<String> options = new ArrayList<>(List.of("--streaming=true", "--jobName=" + jobName, "--changeFormat=native",
          "--changes=" + drops + "/*.jsonl", "--watchInterval=1s", "--loadInterval=2s", "--streamFor=90s",
          "--staging=" + run.resolve("staging"), "--warehouse=duckdb:" + run.resolve("w.duckdb")));
      options.addAll(List.of(table));
      String out = submit(options.toArray(String[]::new));
      dropper.join();
      assertTrue(out, out.contains("as a Flink job, then cancelled"));
      assertEquals("job " + job + "\n" + out, expected, duckDbRows(run.resolve("w.duckdb")));
    }
  }

  @Test
  public void s3SyncsCopyEveryObjectJobAfterJob() throws Exception {
    S3Client client = s3.client();
    client.createBucket(b -> b.bucket("cluster-source"));
    Map<String, String> objects = new TreeMap<>();
    for (int i = 0; i < 120; i++) {
      String key = "data/" + (i % 7) + "/object " + i + (i % 11 == 0 ? "-한국어" : "") + ".txt";
      String body = "body " + i + " " + "x".repeat(i * 37);
      objects.put(key.substring("data/".length()), body);
      client.putObject(b -> b.bucket("cluster-source").key(key), RequestBody.fromString(body));
    }
    for (int job = 1; job <= 2; job++) {
      String target = "cluster-target-" + job;
      client.createBucket(b -> b.bucket(target));
      String out = submitCommand(List.of("s3-sync", "--source=s3://cluster-source/data/", "--target=s3://" + target + "/",
          "--sourceEndpoint=" + s3.endpoint(), "--targetEndpoint=" + s3.endpoint(), "--sourceProfile=cluster",
          "--targetProfile=cluster", "--pathStyle=true"));
      assertTrue(out, out.contains("copied      120 objects"));
      Map<String, String> copied = new TreeMap<>();
      for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(target)).contents()) {
        copied.put(o.key(), client.getObjectAsBytes(b -> b.bucket(target).key(o.key())).asUtf8String());
      }
      assertEquals("job " + job, objects, copied);
    }
  }

  @Test
  public void databaseReloadsEndWithTheSourceRowsJobAfterJob() throws Exception {
    PostgresServer pg = PostgresServer.get();
    pg.createDatabase("flink_cluster");
    try (Connection c = pg.connect("flink_cluster"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE spind (id bigint PRIMARY KEY, name text, amount numeric(12,2), note text);"
          + " INSERT INTO spind SELECT g, 'n' || g, g * 1.25, CASE WHEN g % 3 = 0 THEN NULL ELSE 'ü' || g END"
          + " FROM generate_series(1, 20000) g; ANALYZE spind;");
    }
    List<String> source;
    try (Connection c = pg.connect("flink_cluster")) {
      source = rows(c, "SELECT id, name, round(amount * 100)::bigint, note FROM spind ORDER BY id");
    }
    Path password = TMP.newFile("pw").toPath();
    Files.writeString(password, PostgresServer.PASSWORD + "\n");
    for (int job = 1; job <= 2; job++) {
      Path run = TMP.newFolder("jdbc" + job).toPath();
      String out = submit("--table=spind", "--jdbcUrl=" + pg.url("flink_cluster"), "--jdbcTable=public.spind",
          "--jdbcUser=" + PostgresServer.USER, "--jdbcPasswordFile=" + password, "--jdbcPartitions=4",
          "--staging=" + run.resolve("staging"), "--warehouse=duckdb:" + run.resolve("w.duckdb"));
      assertTrue(out, out.contains("replicate spind: done in "));
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + run.resolve("w.duckdb"))) {
        assertEquals("job " + job, source,
            rows(c, "SELECT id, name, round(amount * 100)::BIGINT, note FROM spind ORDER BY id"));
      }
    }
  }
}
