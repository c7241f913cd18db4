package io.replicator.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.replicator.warehouse.bigquery.FakeBigQuery;
import java.io.File;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The bundled jar launched the way Google's Flex Template launcher runs it: the image's
 * environment names the main class and the pipeline, the arguments are the template's parameters
 * only, and the process submits the Dataflow job and exits without waiting. The Dataflow API is a
 * fake on loopback that records the job it is given.
 */
public class FlexTemplateLaunchIT {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private static final File REPO = Path.of("..").toAbsolutePath().normalize().toFile();

  private HttpServer dataflow;
  private final List<JsonNode> jobs = new ArrayList<>();
  private FakeBigQuery bigQuery;

  @Before
  public void start() throws Exception {
    bigQuery = new FakeBigQuery();
    dataflow = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    dataflow.createContext("/", ex -> {
      byte[] body = ex.getRequestBody().readAllBytes();
      if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
        body = new GZIPInputStream(new java.io.ByteArrayInputStream(body)).readAllBytes();
      }
      String path = ex.getRequestURI().getPath();
      byte[] answer;
      if (ex.getRequestMethod().equals("POST") && path.matches(".*/projects/[^/]+/locations/[^/]+/jobs")) {
        JsonNode job = new ObjectMapper().readTree(body);
        synchronized (jobs) {
          jobs.add(job);
        }
        answer = ("{\"id\":\"2026-11-26_01_02_03-42\",\"projectId\":\"my-project\",\"location\":\"europe-west1\","
            + "\"name\":" + new ObjectMapper().writeValueAsString(job.path("name").asText()) + "}")
            .getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, answer.length);
      } else {
        answer = "{\"error\":{\"code\":404,\"message\":\"not in the fake\"}}".getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(404, answer.length);
      }
      try (OutputStream out = ex.getResponseBody()) {
        out.write(answer);
      }
    });
    dataflow.start();
  }

  @After
  public void stop() {
    dataflow.stop(0);
    bigQuery.close();
  }

  @Test
  public void theLauncherSubmitsTheJobAndExitsWithoutWaiting() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Replication r = new Replication(dir);
    Path in = r.write(List.of("{\"id\":1,\"region\":\"a\",\"_op\":\"INSERT\",\"_sequence_num\":1}"), 1);
    Path small = Files.writeString(dir.resolve("staged.txt"), "the only file to stage");
    List<String> command = new ArrayList<>(List.of("java", "-cp",
        new File(REPO, "pipelines/target/replicator-bundled.jar").getPath(), "io.replicator.cli.Main",
        "--table=t", "--keys=" + SourceSimulator.KEYS, "--schema=" + dir.resolve("schema.json"),
        "--changes=" + in + "/*.jsonl", "--staging=" + dir.resolve("staging"),
        "--warehouse=bigquery:my-project.replica", "--bigQueryEndpoint=" + bigQuery.endpoint(),
        "--runner=DataflowRunner", "--project=my-project", "--region=europe-west1",
        "--dataflowEndpoint=http://127.0.0.1:" + dataflow.getAddress().getPort() + "/",
        "--stagingLocation=" + dir.resolve("df-staging"), "--gcpTempLocation=" + dir.resolve("temp"),
        "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
        "--filesToStage=" + small));
    ProcessBuilder pb = new ProcessBuilder(command).directory(REPO)
        .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
    pb.environment().put(Launch.FLEX_TEMPLATE_ENV, "io.replicator.cli.Main");
    pb.environment().put(Commands.PIPELINE_ENV, "replicate");
    Process p = pb.start();
    assertTrue("the launcher did not exit in 2 minutes", p.waitFor(2, TimeUnit.MINUTES));
    String out = Files.readString(dir.resolve("out.txt"));
    String err = Files.readString(dir.resolve("err.txt"));
    assertEquals(err + out, 0, p.exitValue());
    assertThat(out, containsString("replicate t: launched Dataflow job 2026-11-26_01_02_03-42 "
        + "https://console.cloud.google.com/dataflow/jobs/europe-west1/2026-11-26_01_02_03-42?project=my-project"));
    assertEquals(1, jobs.size());
    String job = jobs.get(0).toString();
    for (String step : List.of("Read changes", "Stage batches", "Merge batches")) {
      assertThat(step, job, containsString(step));
    }
    // The target was prepared before the job was submitted.
    assertTrue(bigQuery.tables.containsKey("t"));
    Matcher secret = Pattern.compile("(?i)password|secret").matcher(job);
    assertTrue("the job carries no secret", !secret.find());
  }
}
