package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.replicator.merge.TableLayout;
import io.replicator.warehouse.bigquery.BigQuerySettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replicator.batch.ByteSize;
import io.replicator.batch.Throughput;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;
import org.junit.Test;

/** The Flex Template metadata cannot drift from the options interfaces. */
public class FlexTemplateMetadataTest {
  /** Per parameter with a regex: values its help text or the README give as examples, then garbage. */
  private static final Map<String, List<List<String>>> EXAMPLES = Map.ofEntries(
      Map.entry("table", List.of(List.of("spind_dly", "orders-2024", "테이블"), List.of("_staging_x", "a b", ""))),
      Map.entry("keys", List.of(List.of("gvkey,datadate", "id"), List.of("a,,b", ",id", "a b"))),
      Map.entry("changeFormat", List.of(List.of("native", "debezium"), List.of("avro", "NATIVE "))),
      Map.entry("snapshotFormat", List.of(List.of("jsonl", "csv"), List.of("parquet"))),
      Map.entry("snapshotMode", List.of(List.of("merge", "replace"), List.of("append"))),
      Map.entry("deletes", List.of(List.of("hard", "soft"), List.of("maybe"))),
      Map.entry("snapshotSequence", List.of(List.of("1000", "0"), List.of("-1", "1e3"))),
      Map.entry("maxReloadDeletePercent", List.of(List.of("50", "100", "0.5", "99.9"), List.of("150", "-1", "half"))),
      Map.entry("jdbcUrl", List.of(List.of("jdbc:postgresql://db:5432/finance"), List.of("postgres://db/x", "jdbc:"))),
      Map.entry("jdbcPartitions", List.of(List.of("4", "256"), List.of("0", "-2", "many"))),
      Map.entry("jdbcFetchSize", List.of(List.of("10000"), List.of("0"))),
      Map.entry("jdbcPasswordEnv", List.of(List.of("PGPASSWORD", "db_pw_1"), List.of("1X", "PG PASSWORD", "$PG"))),
      Map.entry("batchMaxBytes", List.of(List.of("256MB", "64KB", "1GB", "1048576", "1.5GB", "64KiB"), List.of("big", "MB", "-1MB"))),
      Map.entry("batchMaxRows", List.of(List.of("5000000", "1"), List.of("0", "1e6"))),
      Map.entry("maxThroughput", List.of(List.of("1GB/h", "20MB/s", "500KB/min", "50MB/s"), List.of("fast", "20MB", "/s"))),
      Map.entry("warehouse", List.of(List.of("duckdb:local/warehouse.duckdb", "bigquery:my-project.replica",
          "bigquery:example.com:my-project.replica_eu"), List.of("postgres:x", "duckdb:", "bigquery:nodataset", "bigquery:p."))),
      Map.entry("bigQueryJobLabels", List.of(List.of("team=data", "team=data,env=prod", "cost-center=42", "flag="),
          List.of("Team=data", "team", "=x", "team=data,"))),
      Map.entry("bigQueryEndpoint", List.of(List.of("https://bigquery.googleapis.com/", "http://127.0.0.1:9050"),
          List.of("bigquery.googleapis.com", "ftp://x"))),
      Map.entry("partitionRange", List.of(List.of("0,1000000,1000", "-100,100,10"), List.of("0,100", "a,b,c", "0,100,-1"))),
      Map.entry("bigQueryWriteMethod", List.of(List.of("merge", "cdc"), List.of("stream", "CDC"))),
      Map.entry("maxStaleness", List.of(List.of("15m", "1h", "90s", "0", "2d"), List.of("soon", "15 m", "-1h"))),
      Map.entry("partitionFieldImmutable", List.of(List.of("true", "false"), List.of("yes"))),
      Map.entry("verify", List.of(List.of("true", "false"), List.of("yes"))),
      Map.entry("keepStaging", List.of(List.of("true", "false"), List.of("1"))));

  private static JsonNode metadata() throws Exception {
    return new ObjectMapper().readTree(Path.of("flex-templates", "replicate", "metadata.json").toFile());
  }

  /** Our own options (not Beam's), by name. */
  private static Map<String, Method> options() {
    Map<String, Method> out = new TreeMap<>();
    for (Method m : ReplicateOptions.class.getMethods()) {
      if (m.getName().startsWith("get") && m.getDeclaringClass().getPackageName().equals("io.replicator.pipelines")) {
        String name = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
        out.put(name, m);
      }
    }
    return out;
  }

  @Test
  public void everyOptionIsAParameterAndEveryParameterAnOption() throws Exception {
    Map<String, JsonNode> params = new TreeMap<>();
    for (JsonNode p : metadata().get("parameters")) {
      assertTrue("parameter " + p.get("name") + " appears twice", params.put(p.get("name").asText(), p) == null);
    }
    assertEquals(options().keySet(), params.keySet());
  }

  @Test
  public void requiredFlagsLabelsAndHelpTextsMatchTheOptions() throws Exception {
    Map<String, Method> options = options();
    for (JsonNode p : metadata().get("parameters")) {
      String name = p.get("name").asText();
      Method option = options.get(name);
      boolean required = option.isAnnotationPresent(Validation.Required.class);
      assertEquals(name + ": isOptional", !required, p.get("isOptional").asBoolean());
      assertFalse(name + ": empty label", p.path("label").asText().isBlank());
      String help = p.path("helpText").asText();
      assertFalse(name + ": empty help", help.isBlank());
      assertEquals(name + ": help text differs from the option's description",
          option.getAnnotation(Description.class).value(), help);
    }
  }

  @Test
  public void regexesAcceptTheExamplesAndRejectGarbage() throws Exception {
    Map<String, Pattern> regexes = new HashMap<>();
    for (JsonNode p : metadata().get("parameters")) {
      if (p.has("regexes")) {
        regexes.put(p.get("name").asText(), Pattern.compile(p.get("regexes").get(0).asText()));
      }
    }
    assertEquals("every regex has examples", EXAMPLES.keySet(), regexes.keySet());
    EXAMPLES.forEach((name, cases) -> {
      for (String ok : cases.get(0)) {
        assertTrue(name + " should accept '" + ok + "'", regexes.get(name).matcher(ok).matches());
      }
      for (String bad : cases.get(1)) {
        assertFalse(name + " should reject '" + bad + "'", regexes.get(name).matcher(bad).matches());
      }
    });
    // What a regex lets through, the option's own parser takes too.
    for (String ok : EXAMPLES.get("batchMaxBytes").get(0)) {
      assertTrue(ByteSize.parse(ok) > 0);
    }
    for (String ok : EXAMPLES.get("maxThroughput").get(0)) {
      assertTrue(Throughput.bytesPerSecond(ok) > 0);
    }
    for (String ok : EXAMPLES.get("bigQueryJobLabels").get(0)) {
      assertFalse(BigQuerySettings.parseLabels(ok).isEmpty());
    }
    for (String ok : EXAMPLES.get("maxStaleness").get(0)) {
      assertTrue(BigQuerySettings.parseStaleness(ok) >= 0);
    }
    for (String ok : EXAMPLES.get("partitionRange").get(0)) {
      TableLayout.IntegerRange.parse(ok);
    }
  }
}
