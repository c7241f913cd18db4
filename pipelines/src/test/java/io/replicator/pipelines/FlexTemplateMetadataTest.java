package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replicator.common.ByteSize;
import io.replicator.common.Throughput;
import io.replicator.merge.TableLayout;
import io.replicator.warehouse.bigquery.BigQuerySettings;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.Validation;
import org.junit.Test;

/** The Flex Template metadata cannot drift from the options interfaces. */
public class FlexTemplateMetadataTest {
  /** Per parameter with a regex: values its help text or the README give as examples, then garbage. */
  private static final Map<String, List<List<String>>> EXAMPLES = Map.ofEntries(
      Map.entry("table", List.of(List.of("spind_dly", "orders-2024", "테이블"), List.of("_staging_x", "a b", ""))),
      Map.entry("keys", List.of(List.of("gvkey,datadate", "id"), List.of("a,,b", ",id", "a b"))),
      Map.entry("streaming", List.of(List.of("true", "false"), List.of("yes", "TRUE "))),
      Map.entry("tables", List.of(List.of("orders", "inventory.orders,customers", "inventory.*,audit.log_?"), List.of("a,,b", "a b", ""))),
      Map.entry("kafkaBootstrapServers", List.of(List.of("broker-1:9092,broker-2:9092", "127.0.0.1:9092"),
          List.of("broker", "a:1,,b:2", "a:x"))),
      Map.entry("kafkaTopics", List.of(List.of("dbserver1.inventory.orders,x_y-z"), List.of("a b", "a,,b"))),
      Map.entry("pubsubSubscription", List.of(List.of("projects/my-project/subscriptions/cdc"),
          List.of("cdc", "projects/p/topics/t", "projects//subscriptions/x"))),
      Map.entry("loadInterval", List.of(List.of("60s", "500ms", "5m", "1h"), List.of("soon", "60", "-1s"))),
      Map.entry("watchInterval", List.of(List.of("10s", "1min"), List.of("10 seconds"))),
      Map.entry("streamFor", List.of(List.of("10m", "2d"), List.of("forever"))),
      Map.entry("keyChangePairWait", List.of(List.of("1h", "10m"), List.of("an hour"))),
      Map.entry("lockTimeout", List.of(List.of("60s", "10m", "1h"), List.of("forever", "60", "-5s"))),
      Map.entry("changeFormat", List.of(List.of("native", "debezium", "dead-letters"), List.of("avro", "NATIVE ", "dead_letters"))),
      Map.entry("snapshotFormat", List.of(List.of("jsonl", "csv"), List.of("parquet"))),
      Map.entry("snapshotMode", List.of(List.of("merge", "replace"), List.of("append"))),
      Map.entry("deletes", List.of(List.of("hard", "soft"), List.of("maybe"))),
      Map.entry("snapshotSequence", List.of(List.of("1000", "0"), List.of("-1", "1e3"))),
      Map.entry("maxReloadDeletePercent", List.of(List.of("50", "100", "0.5", "99.9"), List.of("150", "-1", "half"))),
      Map.entry("jdbcUrl", List.of(List.of("jdbc:postgresql://db:5432/finance"), List.of("postgres://db/x", "jdbc:"))),
      Map.entry("jdbcPartitions", List.of(List.of("4", "256"), List.of("0", "-2", "many"))),
      Map.entry("slot", List.of(List.of("replicator", "orders_2024"), List.of("Orders", "a-b", "", "x".repeat(64)))),
      Map.entry("publication", List.of(List.of("replicator", "pub_1"), List.of("Pub", "a b"))),
      Map.entry("maxSlotLag", List.of(List.of("1GB", "500MB", "1048576"), List.of("big", "-1GB"))),
      Map.entry("dropSlotOnExit", List.of(List.of("true", "false"), List.of("yes"))),
      Map.entry("firstReadsInJob", List.of(List.of("true", "false"), List.of("1"))),
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
      Map.entry("keepStaging", List.of(List.of("true", "false"), List.of("1"))),
      Map.entry("stageSnapshotAsRead", List.of(List.of("true", "false"), List.of("yes"))),
      Map.entry("jarOnCluster", List.of(List.of("true", "false"), List.of("yes"))));

  /** The s3-sync parameters' examples, as EXAMPLES. */
  private static final Map<String, List<List<String>>> S3_EXAMPLES = Map.ofEntries(
      Map.entry("source", List.of(List.of("s3://my-bucket", "s3://my-bucket/data/2024", "s3://a.b-c/x y/한",
          "gs://exports-bucket/daily"), List.of("my-bucket/data", "s3://", "s3://UPPER/x", "/data/local", "gs://B/x"))),
      Map.entry("target", List.of(List.of("s3://backup-bucket/copy/", "gs://archive_1/copy/"),
          List.of("s3:/b", "file:///tmp", "gs://"))),
      Map.entry("sourceEndpoint", List.of(List.of("http://127.0.0.1:9000", "https://s3.example.com"), List.of("s3.example.com"))),
      Map.entry("targetEndpoint", List.of(List.of("https://storage.example.org:8443/"), List.of("ftp://x"))),
      Map.entry("sourceRegion", List.of(List.of("us-east-1", "eu-central-1", "ap-southeast-2"), List.of("EU", "us east 1"))),
      Map.entry("targetRegion", List.of(List.of("eu-west-3"), List.of("europe"))),
      Map.entry("pathStyle", List.of(List.of("true", "false"), List.of("yes"))),
      Map.entry("compare", List.of(List.of("size-and-time", "size-only", "etag", "checksum"), List.of("checksum!", "mtime"))),
      Map.entry("delete", List.of(List.of("true", "false"), List.of("1"))),
      Map.entry("maxDelete", List.of(List.of("-1", "0", "1000"), List.of("-2", "many"))),
      Map.entry("dryRun", List.of(List.of("true", "false"), List.of("no"))),
      Map.entry("jarOnCluster", List.of(List.of("true", "false"), List.of("yes"))),
      Map.entry("sourceCredentialsFile", List.of(List.of("gs://my-bucket/aws/credentials", "/etc/replicator/aws"),
          List.of("s3://b/x", "credentials", "gs://"))),
      Map.entry("targetCredentialsFile", List.of(List.of("gs://my-bucket/aws/credentials", "/etc/replicator/aws"),
          List.of("s3://b/x", "credentials", "gs://"))),
      Map.entry("sourceRoleArn", List.of(List.of("arn:aws:iam::123456789012:role/replicator-reader",
          "arn:aws-cn:iam::123456789012:role/path/r"), List.of("replicator-reader", "arn:aws:iam::12345:role/r",
          "arn:aws:iam::123456789012:user/u"))),
      Map.entry("targetRoleArn", List.of(List.of("arn:aws:iam::123456789012:role/replicator-writer"),
          List.of("role/replicator-writer"))),
      Map.entry("roleIdentity", List.of(List.of("auto", "google", "aws"), List.of("gcp", "AUTO"))),
      Map.entry("stsEndpoint", List.of(List.of("https://sts.eu-west-1.amazonaws.com", "http://127.0.0.1:4566"),
          List.of("sts.amazonaws.com"))),
      Map.entry("multipartThreshold", List.of(List.of("5GB", "100MB", "64MB"), List.of("big", "MB"))),
      Map.entry("multipartChunkSize", List.of(List.of("64MB", "5MB"), List.of("-5MB"))),
      Map.entry("copiesInFlight", List.of(List.of("16", "1", "256"), List.of("0", "-4", "many", "10000"))),
      Map.entry("storageClass", List.of(List.of("STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING"), List.of("standard"))),
      Map.entry("acl", List.of(List.of("bucket-owner-full-control", "private"), List.of("Private ACL"))),
      Map.entry("sse", List.of(List.of("AES256", "aws:kms"), List.of("aes256", "kms"))),
      Map.entry("maxThroughput", List.of(List.of("1GB/h", "50MB/s"), List.of("fast"))));

  /** Each pipeline's options interface and the examples of its regexes. */
  private static final Map<String, Object[]> PIPELINES = Map.of(
      "replicate", new Object[] {ReplicateOptions.class, EXAMPLES},
      "s3-sync", new Object[] {S3SyncOptions.class, S3_EXAMPLES});

  private static JsonNode metadata(String pipeline) throws Exception {
    return new ObjectMapper().readTree(Path.of("flex-templates", pipeline, "metadata.json").toFile());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, List<List<String>>> examples(String pipeline) {
    return (Map<String, List<List<String>>>) PIPELINES.get(pipeline)[1];
  }

  /**
   * The committed files are what the options write: a new option, a changed help text, label or
   * regex fails here until the files are written again (the fresh ones wait in target/generated).
   */
  @Test
  public void theMetadataAndTheOptionsReferenceAreWhatTheOptionsSay() throws Exception {
    Path root = Path.of("..");
    Path fresh = Path.of("target", "generated");
    StringBuilder stale = new StringBuilder();
    for (FlexTemplateMetadata.Pipeline p : FlexTemplateMetadata.Pipeline.values()) {
      check(p.metadataFile(root), p.metadataFile(fresh), FlexTemplateMetadata.metadata(p), stale);
    }
    check(FlexTemplateMetadata.referenceFile(root), FlexTemplateMetadata.referenceFile(fresh),
        FlexTemplateMetadata.reference(), stale);
    assertTrue(stale + "are out of date: run java -cp pipelines/target/replicator-bundled.jar"
        + " io.replicator.pipelines.FlexTemplateMetadata . (or copy them from pipelines/target/generated)",
        stale.length() == 0);
  }

  private static void check(Path committed, Path fresh, String expected, StringBuilder stale) throws Exception {
    Files.createDirectories(fresh.getParent());
    Files.writeString(fresh, expected);
    if (!Files.exists(committed) || !Files.readString(committed).equals(expected)) {
      stale.append(committed).append(' ');
    }
  }

  @Test
  public void everyOptionHasAParameterWithALabelAndItsHelp() throws Exception {
    for (String pipeline : PIPELINES.keySet()) {
      Map<String, Boolean> optional = new TreeMap<>();
      for (JsonNode p : metadata(pipeline).get("parameters")) {
        assertTrue("parameter " + p.get("name") + " appears twice",
            optional.put(p.get("name").asText(), p.get("isOptional").asBoolean()) == null);
        assertFalse(p.get("name") + ": empty label", p.path("label").asText().isBlank());
        assertFalse(p.get("name") + ": empty help", p.path("helpText").asText().isBlank());
      }
      Map<String, Boolean> options = new TreeMap<>();
      for (Method m : ((Class<?>) PIPELINES.get(pipeline)[0]).getMethods()) {
        if (m.getName().startsWith("get") && m.getDeclaringClass().getPackageName().equals("io.replicator.pipelines")) {
          options.put(Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4),
              !m.isAnnotationPresent(Validation.Required.class));
        }
      }
      if (pipeline.equals("replicate")) {
        options.put("streaming", true); // Beam's own option, how a replicate becomes a stream.
      }
      assertEquals(pipeline, options, optional);
    }
  }

  @Test
  public void regexesAcceptTheExamplesAndRejectGarbage() throws Exception {
    for (String pipeline : PIPELINES.keySet()) {
      regexesAcceptTheExamples(pipeline);
    }
    for (String ok : S3_EXAMPLES.get("source").get(0)) {
      if (ok.startsWith("s3://")) {
        io.replicator.s3.S3Location.parse("--source", ok);
      }
    }
  }

  private void regexesAcceptTheExamples(String pipeline) throws Exception {
    Map<String, Pattern> regexes = new HashMap<>();
    for (JsonNode p : metadata(pipeline).get("parameters")) {
      if (p.has("regexes")) {
        regexes.put(p.get("name").asText(), Pattern.compile(p.get("regexes").get(0).asText()));
      }
    }
    Map<String, List<List<String>>> examples = examples(pipeline);
    assertEquals(pipeline + ": every regex has examples", examples.keySet(), regexes.keySet());
    examples.forEach((name, cases) -> {
      for (String ok : cases.get(0)) {
        assertTrue(name + " should accept '" + ok + "'", regexes.get(name).matcher(ok).matches());
      }
      for (String bad : cases.get(1)) {
        assertFalse(name + " should reject '" + bad + "'", regexes.get(name).matcher(bad).matches());
      }
    });
    if (!pipeline.equals("replicate")) {
      return;
    }
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
    for (String option : List.of("loadInterval", "watchInterval", "streamFor", "keyChangePairWait")) {
      for (String ok : EXAMPLES.get(option).get(0)) {
        assertTrue(DurationOption.parse(ok, option).getMillis() > 0);
      }
    }
    for (String ok : EXAMPLES.get("partitionRange").get(0)) {
      TableLayout.IntegerRange.parse(ok);
    }
  }
}
