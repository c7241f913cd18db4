package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.cli.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Bad options exit with code 2 and one line that names the option and what is wrong. */
public class OptionsTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private Replication r;
  private String changes;

  @Before
  public void setUp() throws Exception {
    r = new Replication(tmp.getRoot().toPath());
    changes = "--changes=" + r.write(java.util.List.of("{\"id\":1,\"region\":\"a\",\"_op\":\"INSERT\",\"_sequence_num\":1}"), 1) + "/*.jsonl";
  }

  private void rejects(String expected, String... extra) {
    Replication.Outcome out = r.run(extra);
    assertEquals(out.err(), 2, out.code());
    assertTrue("stderr was: " + out.err(), out.err().startsWith("replicator: error: "));
    assertTrue("stderr was: " + out.err(), out.err().contains(expected));
    assertEquals(out.err(), 1, out.err().strip().lines().count());
  }

  @Test
  public void namesTheOptionAndTheProblem() throws Exception {
    rejects("nothing to read: give --changes");
    rejects("--changes=/nope/*.jsonl matches no file", "--changes=/nope/*.jsonl");
    rejects("--changes=" + tmp.getRoot() + " is a directory: give a file pattern, e.g. " + tmp.getRoot() + "/*.jsonl",
        "--changes=" + tmp.getRoot());
    rejects("--changeFormat='avro': expected native, debezium or dead-letters", changes, "--changeFormat=avro");
    rejects("--snapshotMode=replace reloads the table from --snapshot or --jdbcUrl; neither is given", changes, "--snapshotMode=replace");
    rejects("--jdbcTable needs --jdbcUrl", changes, "--jdbcTable=public.t");
    rejects("--jdbcUrl must be a JDBC URL", "--jdbcUrl=postgres://h/db", "--jdbcTable=t");
    rejects("--deletes='maybe': expected hard or soft", changes, "--deletes=maybe");
    rejects("--batchMaxBytes: 'big' is not a size", changes, "--batchMaxBytes=big");
    rejects("--batchMaxBytes must be at least 1KB", changes, "--batchMaxBytes=10");
    rejects("--maxReloadDeletePercent must be between 0 and 100", changes, "--maxReloadDeletePercent=150");
    rejects("--keys=id,nope: key column 'nope' is not in the schema", changes, "--keys=id,nope");
    rejects("--warehouse='postgres:x' names an unknown warehouse", changes, "--warehouse=postgres:x");
    rejects("the DuckDB warehouse reads staged batches from the local disk", changes, "--staging=gs://bucket/x");
    rejects("--tabel is not an option; did you mean --table? (--help lists them)", changes, "--tabel=x");
    rejects("--frobnicate is not an option (--help lists them)", changes, "--frobnicate=1");
    rejects("--snapshotSequence='abc': expected a whole number", changes, "--snapshotSequence=abc");
    rejects("--batchMaxRows='1e6': expected a whole number", changes, "--batchMaxRows=1e6");
    rejects("--keepStaging='maybe': expected true or false", changes, "--keepStaging=maybe");
    rejects("--jarOnCluster=true is for a Flink session cluster: give it with --runner=FlinkRunner"
        + " --flinkMaster=host:port", changes, "--jarOnCluster=true");
    rejects("--jarOnCluster=true is for a Flink session cluster", changes, "--jarOnCluster=true", "--runner=FlinkRunner");
    rejects("--maxReloadDeletePercent='lots': expected a number", changes, "--maxReloadDeletePercent=lots");
    rejects("--warehouse=bigquery:nodataset must name PROJECT.DATASET", changes, "--warehouse=bigquery:nodataset");
    rejects("BigQuery load jobs read staged batches from Cloud Storage; give gs://BUCKET/PREFIX", changes,
        "--warehouse=bigquery:p.d");
    rejects("--partitionField applies to --warehouse=bigquery:PROJECT.DATASET only", changes, "--partitionField=id");
    rejects("--partitionField=nope is not a column of the table", changes, "--warehouse=bigquery:p.d",
        "--staging=gs://b/s", "--partitionField=nope");
    rejects("--partitionField=id is INT64, so it needs --partitionRange=START,END,INTERVAL", changes,
        "--warehouse=bigquery:p.d", "--staging=gs://b/s", "--partitionField=id");
    rejects("--partitionRange='1,x,2' is not START,END,INTERVAL", changes, "--warehouse=bigquery:p.d",
        "--staging=gs://b/s", "--partitionField=id", "--partitionRange=1,x,2");
    rejects("--clusterFields names 'nope', which is not a column of the table", changes,
        "--warehouse=bigquery:p.d", "--staging=gs://b/s", "--clusterFields=id,nope");
    rejects("--bigQueryWriteMethod='stream': expected merge or cdc", changes, "--bigQueryWriteMethod=stream");
    rejects("--bigQueryWriteMethod=cdc applies to --warehouse=bigquery:PROJECT.DATASET only", changes,
        "--bigQueryWriteMethod=cdc");
    rejects("--bigQueryWriteMethod=cdc deletes rows; --deletes=soft needs the merge method", changes,
        "--warehouse=bigquery:p.d", "--staging=gs://b/s", "--bigQueryWriteMethod=cdc", "--deletes=soft");
    rejects("--verify cannot follow a cdc run", changes, "--warehouse=bigquery:p.d", "--staging=gs://b/s",
        "--bigQueryWriteMethod=cdc", "--verify");
    rejects("--maxStaleness='soon' is not a duration", changes, "--warehouse=bigquery:p.d", "--staging=gs://b/s",
        "--bigQueryWriteMethod=cdc", "--maxStaleness=soon");
    rejects("--bigQueryJobLabels: 'Team=x' is not key=value", changes, "--warehouse=bigquery:p.d",
        "--staging=gs://b/s", "--bigQueryJobLabels=Team=x");
  }

  @Test
  public void aBadSchemaFileIsNamed() throws Exception {
    Path bad = tmp.newFile("bad.json").toPath();
    Files.writeString(bad, "[{\"name\":\"id\",\"type\":\"WHATEVER\"}]");
    rejects("--schema=" + bad + " with --keys=id,region: column 'id': unsupported column type 'WHATEVER'",
        changes, "--schema=" + bad);
    rejects("--schema=/no/such.json: cannot read the file", changes, "--schema=/no/such.json");
  }

  @Test
  public void aTableThatDisagreesWithTheSchemaIsARunFailure() throws Exception {
    r.run(changes).ok();
    Replication.Outcome out = r.run(changes, "--deletes=soft");
    assertEquals(1, out.code());
    assertTrue(out.err(), out.err().contains("table t in " + r.warehouse + " does not match the schema: it was created with --deletes=hard"));
  }

  @Test
  public void anOptionGivenTwiceIsNamed() {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    assertEquals(2, Main.run(new String[] {"replicate", "--deletes=hard", changes, "--deletes=soft"},
        System.out, new java.io.PrintStream(err)));
    assertEquals("replicator: error: --deletes is given twice ('hard' and 'soft')", err.toString().strip());
    // The console's own options too, though they never reach Beam.
    err.reset();
    assertEquals(2, Main.run(new String[] {"replicate", "--progressEvery=1s", changes, "--progressEvery=1m"},
        System.out, new java.io.PrintStream(err)));
    assertEquals("replicator: error: --progressEvery is given twice ('1s' and '1m')", err.toString().strip());
    err.reset();
    assertEquals(2, Main.run(new String[] {"s3-sync", "--quiet", "--source=/a", "--quiet=true"},
        System.out, new java.io.PrintStream(err)));
    assertEquals("replicator: error: --quiet is given twice ('' and 'true')", err.toString().strip());
  }

  @Test
  public void aStringNumberOrSizeOptionWithoutAValueIsNamed() throws Exception {
    // Beam would read a bare --table as the text "true" and create a table named true.
    rejects("--table needs a value: --table=...", changes, "--table");
    rejects("--keys is given without a value", changes, "--keys=");
    rejects("--snapshotSequence needs a value", changes, "--snapshotSequence");
    rejects("--batchMaxBytes needs a value", changes, "--batchMaxBytes");
    rejects("--warehouse needs a value", changes, "--warehouse");
    rejects("--staging is given without a value", changes, "--staging= ");
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    assertEquals(2, Main.run(new String[] {"s3-sync", "--source", "--target=s3://b/x"}, System.out,
        new java.io.PrintStream(err)));
    assertEquals("replicator: error: --source needs a value: --source=...", err.toString().strip());
    // A flag stands alone.
    assertEquals(0, r.run(changes, "--keepStaging").code());
  }

  @Test
  public void everyOptionOfOursThatTakesAValueRefusesToGoWithout() {
    int checked = 0;
    for (Class<?> options : java.util.List.of(ReplicateOptions.class, S3SyncOptions.class)) {
      String pipeline = options == ReplicateOptions.class ? "replicate" : "s3-sync";
      for (java.lang.reflect.Method m : options.getMethods()) {
        Class<?> type = m.getReturnType();
        if (!m.getName().startsWith("get") || type == boolean.class || type == Boolean.class
            || !m.getDeclaringClass().getPackageName().equals("io.replicator.pipelines")) {
          continue;
        }
        String name = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
        for (String given : java.util.List.of("--" + name, "--" + name + "=")) {
          java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
          assertEquals(pipeline + " " + given, 2, Main.run(new String[] {pipeline, given}, System.out,
              new java.io.PrintStream(err)));
          assertTrue(err.toString(), err.toString().startsWith("replicator: error: --" + name + " "));
          checked++;
        }
      }
    }
    assertTrue("checked " + checked, checked > 60);
  }

  @Test
  public void usageAndUnknownPipeline() {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    assertEquals(2, Main.run(new String[] {"nope"}, System.out, new java.io.PrintStream(err)));
    assertTrue(err.toString().contains("unknown pipeline 'nope'"));
    assertEquals(2, Main.run(new String[0], System.out, new java.io.PrintStream(err)));
  }
}
