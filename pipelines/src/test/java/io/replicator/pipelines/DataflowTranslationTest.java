package io.replicator.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.warehouse.bigquery.FakeBigQuery;
import java.nio.file.Files;
import java.nio.file.Path;
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
    Path small = Files.writeString(dir.resolve("staged.txt"), "the only file to stage");
    String[] common = {
      "--changes=" + in + "/*.jsonl", "--snapshot=" + in + "/*.jsonl",
      "--warehouse=bigquery:my-project.replica", "--bigQueryEndpoint=" + bigQuery.endpoint(),
      "--runner=DataflowRunner", "--project=my-project", "--region=europe-west1",
      "--templateLocation=" + dir.resolve("template.json"), "--stagingLocation=" + dir.resolve("df-staging"),
      "--tempLocation=" + dir.resolve("temp"), "--gcpTempLocation=" + dir.resolve("temp"),
      "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
      "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
      "--filesToStage=" + small};
    String[] args = new String[common.length + extra.length];
    System.arraycopy(common, 0, args, 0, common.length);
    System.arraycopy(extra, 0, args, common.length, extra.length);
    return r.run(args);
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
  public void aDuckDbWarehouseIsRefusedOnDataflow() throws Exception {
    Path in = r.write(List.of("{\"id\":1,\"region\":\"a\",\"_op\":\"INSERT\",\"_sequence_num\":1}"), 1);
    Replication.Outcome out = r.run("--changes=" + in + "/*.jsonl", "--runner=DataflowRunner", "--project=my-project",
        "--region=europe-west1");
    assertEquals(out.err(), 2, out.code());
    assertThat(out.err(), containsString("Dataflow workers cannot reach"));
  }
}
