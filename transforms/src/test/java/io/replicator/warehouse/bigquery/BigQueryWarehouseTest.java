package io.replicator.warehouse.bigquery;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.replicator.change.StagedBatch;
import io.replicator.change.Change;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.TableSchema;
import io.replicator.change.DeleteMode;
import io.replicator.merge.TableLayout;
import io.replicator.change.TargetTable;
import io.replicator.source.NativeChangeDecoder;
import io.replicator.warehouse.duckdb.DuckDbWarehouseTest;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.Reload;
import io.replicator.warehouse.spi.ReloadRefusedException;
import io.replicator.warehouse.spi.ReloadResult;
import io.replicator.warehouse.spi.WarehouseException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The requests the BigQuery target makes, against a fake BigQuery endpoint on loopback. */
public class BigQueryWarehouseTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"name\",\"type\":\"STRING\"},"
          + "{\"name\":\"day\",\"type\":\"DATE\"}]", List.of("id"));
  private static final TargetTable TABLE = new TargetTable("orders", SCHEMA, DeleteMode.HARD);

  private FakeBigQuery fake;

  @Before
  public void start() throws Exception {
    fake = new FakeBigQuery();
  }

  /** Every statement a test sent resolves in Google's SQL analyzer, against the tables it created. */
  @After
  public void stop() {
    try {
      new BigQuerySqlAnalyzer().replay(fake);
    } finally {
      fake.close();
    }
  }

  private BigQuerySettings settings() {
    return BigQuerySettings.parse("p.d").withEndpoint(fake.endpoint()).withLocation("EU")
        .withJobLabels(Map.of("team", "data")).withRetries(4, 1);
  }

  private BigQueryWarehouse open(BigQuerySettings s) {
    return BigQueryWarehouse.open(s);
  }

  private StagedBatch batch(String... lines) throws Exception {
    NativeChangeDecoder decoder = new NativeChangeDecoder(TABLE.name(), SCHEMA);
    List<Change> changes = new ArrayList<>();
    for (String line : lines) {
      decoder.decode(line, changes::add);
    }
    return DuckDbWarehouseTest.stage(tmp.getRoot().toPath(), TABLE.name(), changes);
  }

  private StagedBatch twoRows() throws Exception {
    return batch("{\"id\":1,\"name\":\"a\",\"day\":\"2024-05-01\",\"_op\":\"INSERT\",\"_sequence_num\":5}",
        "{\"id\":2,\"name\":\"b\",\"day\":\"2024-05-03\",\"_op\":\"INSERT\",\"_sequence_num\":6}");
  }

  private List<String> jobIds() {
    return fake.jobInserts().stream().map(FakeBigQuery.Request::jobId).toList();
  }

  private JsonNode job(String idSuffix) {
    return fake.jobInserts().stream().filter(r -> r.jobId().endsWith(idSuffix)).findFirst()
        .orElseThrow(() -> new AssertionError("no job ending " + idSuffix + " in " + jobIds())).body();
  }

  @Test
  public void aNewTargetIsCreatedPartitionedAndClusteredAndItsHistoryCleared() {
    TableLayout layout = new TableLayout("day", null, List.of(), false);
    try (BigQueryWarehouse w = open(settings().withLayout(layout))) {
      w.ensureTables(TABLE);
    }
    List<FakeBigQuery.Request> jobs = fake.jobInserts();
    assertEquals(2, jobs.size());
    assertEquals(List.of("[\"id\"]", "HARD"), fake.contracts.get("orders"));
    JsonNode ddl = jobs.get(0).body().path("configuration").path("query");
    assertFalse(ddl.path("useLegacySql").asBoolean(true));
    assertThat(ddl.path("query").asText(), containsString("PARTITION BY `day`\nCLUSTER BY `id`;"));
    assertEquals("EU", jobs.get(0).body().path("jobReference").path("location").asText());
    assertEquals("data", jobs.get(0).body().path("configuration").path("labels").path("team").asText());
    JsonNode forget = jobs.get(1).body().path("configuration").path("query");
    assertThat(forget.path("query").asText(), containsString("DELETE FROM `p`.`d`.`_replicator_batches`"));
    assertThat(forget.path("queryParameters").toString(),
        containsString("{\"name\":\"table_name\",\"parameterType\":{\"type\":\"STRING\"},\"parameterValue\":{\"value\":\"orders\"}}"));
    assertTrue(fake.tables.containsKey("orders"));
    assertTrue(fake.tables.containsKey("_deleted_orders"));
  }

  @Test
  public void aBatchIsLoadedIntoItsOwnTableMergedInOneScriptAndCleanedUp() throws Exception {
    StagedBatch b = twoRows();
    MergeResult r;
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      r = w.merge(TABLE, b);
    }
    assertEquals(2, r.inserted());
    assertEquals(10485760, r.bytesProcessed());
    assertEquals(250, r.slotMillis());

    String staging = "_staging_orders_" + b.batchId();
    JsonNode load = job("_load_0").path("configuration").path("load");
    assertEquals(b.file(), load.path("sourceUris").get(0).asText());
    assertEquals("NEWLINE_DELIMITED_JSON", load.path("sourceFormat").asText());
    assertEquals(staging, load.path("destinationTable").path("tableId").asText());
    assertEquals("WRITE_TRUNCATE", load.path("writeDisposition").asText());
    assertEquals("CREATE_NEVER", load.path("createDisposition").asText());
    assertEquals(0, load.path("maxBadRecords").asInt(-1));
    assertEquals("load", job("_load_0").path("configuration").path("labels").path("replicator").asText());

    FakeBigQuery.Request createStaging = fake.requests.stream()
        .filter(q -> q.method().equals("POST") && q.path().endsWith("/tables")).findFirst().orElseThrow();
    assertEquals(staging, createStaging.body().path("tableReference").path("tableId").asText());
    assertTrue("staging tables expire", createStaging.body().path("expirationTime").asLong() > System.currentTimeMillis());
    JsonNode unchanged = createStaging.body().path("schema").path("fields").get(8);
    assertEquals("_unchanged", unchanged.path("name").asText());
    assertEquals("REPEATED", unchanged.path("mode").asText());
    assertEquals("_step", createStaging.body().path("schema").path("fields").get(9).path("name").asText());
    assertEquals("_batch_id", createStaging.body().path("schema").path("fields").get(10).path("name").asText());

    JsonNode merge = job("_merge_0").path("configuration").path("query");
    assertThat(merge.path("query").asText(), startsWith("DECLARE already_applied"));
    assertThat(merge.path("query").asText(), containsString("FROM `p`.`d`.`" + staging + "` AS s"));
    assertEquals("NAMED", merge.path("parameterMode").asText());
    Map<String, String> params = new java.util.TreeMap<>();
    for (JsonNode p : merge.path("queryParameters")) {
      params.put(p.path("name").asText(), p.path("parameterType").path("type").asText() + ":"
          + p.path("parameterValue").path("value").asText());
    }
    assertEquals(Map.of("batch_id", "STRING:" + b.batchId(), "rows_staged", "INT64:2", "table_name", "STRING:orders"),
        params);
    assertTrue("the batch's staging table is dropped", fake.requests.stream()
        .anyMatch(q -> q.method().equals("DELETE") && q.path().endsWith("/tables/" + staging)));
    assertFalse(fake.tables.containsKey(staging));
  }

  @Test
  public void aBatchWithPartialRowsIsFoldedByItsMerge() throws Exception {
    StagedBatch b = batch("{\"id\":1,\"name\":\"a\",\"day\":\"2024-05-01\",\"_op\":\"INSERT\",\"_sequence_num\":5}",
        "{\"id\":1,\"name\":\"b\",\"_op\":\"UPDATE\",\"_sequence_num\":6,\"_unchanged\":[\"day\"]}");
    assertEquals(2, b.rows());
    assertEquals(1, b.partialRows());
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      w.merge(TABLE, b);
    }
    String merge = job("_merge_0").path("configuration").path("query").path("query").asText();
    assertThat(merge, containsString("`_fold` AS ("));
    assertThat(merge, containsString("SET without_base = ARRAY("));
    assertThat(merge, containsString("t.`day` = CASE WHEN e.`_set_2` THEN e.`day` ELSE t.`day` END"));
    // The @After check analyzes this script too.
  }

  @Test
  public void jobIdsDependOnTheTargetItsCreationAndTheBatchOnly() throws Exception {
    StagedBatch b = twoRows();
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      w.merge(TABLE, b);
    }
    String load = jobIds().stream().filter(id -> id.endsWith("_load_0")).findFirst().orElseThrow();
    assertThat(load, startsWith("replicator_orders_"));
    assertThat(load, containsString("_" + b.batchId() + "_load_0"));

    // Another process, same table: the same ids. The batch is applied, so nothing is loaded again.
    fake.appliedBatches.clear();
    fake.requests.clear();
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      w.merge(TABLE, b);
    }
    assertTrue(jobIds().contains(load));

    // The table dropped and created again: new ids, so old jobs are not mistaken for its batches.
    fake.tables.remove("orders");
    fake.requests.clear();
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      w.merge(TABLE, b);
    }
    assertFalse(jobIds().contains(load));
    assertTrue(jobIds().stream().anyMatch(id -> id.endsWith(b.batchId() + "_load_0")));
  }

  @Test
  public void aRerunFindsTheJobsAnEarlierRunSubmittedInsteadOfSubmittingAgain() throws Exception {
    StagedBatch b = twoRows();
    // The first run dies after its load: the merge job cannot even be submitted.
    fake.failHttp(q -> q.isJobInsert() && q.jobId().contains("_merge_"), 400, "invalid", 1);
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      WarehouseException e = assertThrows(WarehouseException.class, () -> w.merge(TABLE, b));
      assertThat(e.getMessage(), containsString("HTTP 400 invalid"));
    }
    long loadsBefore = jobIds().stream().filter(id -> id.contains("_load")).count();
    fake.requests.clear();
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      assertEquals(2, w.merge(TABLE, b).inserted());
    }
    assertEquals(1, loadsBefore);
    List<FakeBigQuery.Request> loads = fake.jobInserts().stream().filter(q -> q.jobId().contains("_load")).toList();
    assertEquals("the load is looked up (409), not run again", 1, loads.size());
    assertTrue(loads.get(0).jobId().endsWith("_load_0"));
    assertTrue(fake.requests.stream().anyMatch(q -> q.method().equals("GET") && q.path().endsWith(loads.get(0).jobId())));
    assertEquals(1, fake.appliedBatches.size());
  }

  @Test
  public void aStagingTableGoneSinceTheEarlierLoadIsLoadedAgain() throws Exception {
    StagedBatch b = twoRows();
    fake.failHttp(q -> q.isJobInsert() && q.jobId().contains("_merge_"), 400, "invalid", 1);
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      assertThrows(WarehouseException.class, () -> w.merge(TABLE, b));
    }
    fake.tables.remove("_staging_orders_" + b.batchId());
    fake.requests.clear();
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      assertEquals(2, w.merge(TABLE, b).inserted());
    }
    assertTrue(jobIds().toString(), jobIds().stream().anyMatch(id -> id.contains("_reload_")));
  }

  @Test
  public void aRateLimitedCallIsRetriedUnderTheSameJobId() throws Exception {
    StagedBatch b = twoRows();
    fake.failHttp(q -> q.isJobInsert() && q.jobId().endsWith("_load_0"), 403, "rateLimitExceeded", 2);
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      assertEquals(2, w.merge(TABLE, b).inserted());
    }
    assertEquals(3, jobIds().stream().filter(id -> id.endsWith("_load_0")).count());
    assertFalse(jobIds().stream().anyMatch(id -> id.endsWith("_load_1")));
  }

  @Test
  public void aJobEndingInARetryableErrorIsRunAgainUnderTheNextId() throws Exception {
    StagedBatch b = twoRows();
    fake.failJobs(q -> q.jobId().contains("_merge_"), "invalidQuery",
        "Transaction is aborted due to concurrent update against table p:d.orders", 1);
    fake.failJobs(q -> q.jobId().contains("_merge_"), "jobRateLimitExceeded", "Exceeded rate limits", 1);
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      assertEquals(2, w.merge(TABLE, b).inserted());
    }
    assertTrue(jobIds().stream().anyMatch(id -> id.endsWith("_merge_2")));
    assertFalse(jobIds().stream().anyMatch(id -> id.endsWith("_merge_3")));
  }

  @Test
  public void anyOtherJobErrorFailsTheBatchWithBigQuerysMessage() throws Exception {
    StagedBatch b = twoRows();
    fake.failJobs(q -> q.jobId().contains("_load_"), "invalid",
        "Error while reading data, error message: JSON parsing error in row starting at position 0", 5);
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      WarehouseException e = assertThrows(WarehouseException.class, () -> w.merge(TABLE, b));
      assertThat(e.getMessage(), containsString("merging batch " + b.batchId() + " into orders failed"));
      assertThat(e.getMessage(), containsString("_load_0 ended with invalid: Error while reading data"));
    }
    assertEquals(1, jobIds().stream().filter(id -> id.contains("_load_")).count());
    assertTrue(fake.appliedBatches.isEmpty());
  }

  @Test
  public void theMergeReadsOnlyTheBatchsPartitionsWhenAKeyCannotChangePartition() throws Exception {
    StagedBatch b = twoRows();
    TableLayout immutable = new TableLayout("day", null, List.of(), true);
    try (BigQueryWarehouse w = open(settings().withLayout(immutable))) {
      w.ensureTables(TABLE);
      w.merge(TABLE, b);
    }
    assertThat(job("_merge_0").path("configuration").path("query").path("query").asText(),
        containsString("AND (t.`day` BETWEEN DATE '2024-05-01' AND DATE '2024-05-03' OR t.`day` IS NULL)"));

    // A batch with rows lacking the partition value (deletes with only the key) reads everything.
    fake.bounds = List.of("2024-05-01", "2024-05-03", "1");
    fake.requests.clear();
    StagedBatch other = batch("{\"id\":9,\"_op\":\"DELETE\",\"_sequence_num\":9}");
    try (BigQueryWarehouse w = open(settings().withLayout(immutable))) {
      w.ensureTables(TABLE);
      w.merge(TABLE, other);
    }
    assertFalse(job("_merge_0").path("configuration").path("query").path("query").asText().contains("BETWEEN"));

    // Without the promise, a key's row could sit in another partition: no pruning at all.
    fake.requests.clear();
    StagedBatch third = batch("{\"id\":3,\"name\":\"c\",\"day\":\"2024-05-02\",\"_op\":\"INSERT\",\"_sequence_num\":7}");
    try (BigQueryWarehouse w = open(settings().withLayout(new TableLayout("day", null, List.of(), false)))) {
      w.ensureTables(TABLE);
      w.merge(TABLE, third);
    }
    assertFalse(job("_merge_0").path("configuration").path("query").path("query").asText().contains("BETWEEN"));
    assertFalse(fake.jobInserts().stream().anyMatch(q -> q.body().toString().contains("AS low")));
  }

  @Test
  public void anExistingTableThatDoesNotMatchTheSchemaIsRefusedWithTheDifference() {
    fake.addTable("orders", "id", "STRING", "day", "GEOGRAPHY", "_sequence_num", "INTEGER");
    try (BigQueryWarehouse w = open(settings())) {
      WarehouseException e = assertThrows(WarehouseException.class, () -> w.ensureTables(TABLE));
      assertThat(e.getMessage(), containsString("column 'id' is STRING, the schema says INT64"));
      assertThat(e.getMessage(), containsString("column 'name' is missing"));
      assertThat(e.getMessage(), containsString("column 'day' is GEOGRAPHY, the schema says DATE"));
    }
    assertTrue("nothing is created", fake.jobInserts().isEmpty());
  }

  @Test
  public void columnsAddedByAStreamAreAddedOnceAndReadBack() {
    fake.addTable("orders", "id", "INTEGER", "name", "STRING", "day", "DATE", "notiz", "STRING", "rush", "BOOLEAN",
        "_sequence_num", "INTEGER");
    try (BigQueryWarehouse w = open(settings())) {
      TargetTable now = w.addColumns(TABLE, List.of(new Column("notiz", ColumnType.STRING, false),
          new Column("rush", ColumnType.BOOL, false)));
      assertEquals(List.of("id", "name", "day", "notiz", "rush"),
          now.schema().columns().stream().map(Column::name).toList());
      assertEquals(ColumnType.BOOL, now.schema().column(4).type());
      assertFalse(now.schema().column(4).required());
    }
    String ddl = fake.jobInserts().get(0).body().path("configuration").path("query").path("query").asText();
    assertEquals("ALTER TABLE `p`.`d`.`orders` ADD COLUMN IF NOT EXISTS `notiz` STRING,"
        + " ADD COLUMN IF NOT EXISTS `rush` BOOL", ddl);
  }

  @Test
  public void theColumnsASchemaHasAndTheTargetLacksAreNamedFromTheTablesFields() {
    fake.addTable("orders", "ID", "INTEGER", "day", "DATE", "_sequence_num", "INTEGER");
    try (BigQueryWarehouse w = open(settings())) {
      assertEquals(List.of("name"), w.missingColumns(TABLE).stream().map(Column::name).toList());
      assertEquals(List.of(), w.missingColumns(new TargetTable("not_yet", SCHEMA, DeleteMode.HARD)));
    }
    assertTrue("reading them runs no job", fake.jobInserts().isEmpty());
  }

  @Test
  public void anExistingTableWithLegacyTypeNamesMatches() {
    fake.addTable("orders", "id", "INTEGER", "name", "STRING", "day", "DATE", "_sequence_num", "INTEGER");
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
    }
    assertTrue("an existing table keeps its history", fake.jobInserts().stream().noneMatch(j -> j.body()
        .path("configuration").path("query").path("query").asText().contains("DELETE FROM `p`.`d`.`_replicator_batches`")));
    assertEquals("its key is recorded", List.of("[\"id\"]", "HARD"), fake.contracts.get("orders"));
  }

  @Test
  public void aRunWithAnotherKeyIsRefusedBeforeAnythingIsCreated() {
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      TableSchema otherKey = TableSchema.fromBigQueryJson(
          "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"name\",\"type\":\"STRING\"},"
              + "{\"name\":\"day\",\"type\":\"DATE\"}]", List.of("id", "day"));
      WarehouseException e = assertThrows(WarehouseException.class,
          () -> w.ensureTables(new TargetTable("orders", otherKey, DeleteMode.HARD)));
      assertThat(e.getMessage(), containsString("created with key (id) and this run gives (id, day)"));
    }
  }

  @Test
  public void aColumnTheSchemaLacksIsRefusedUnlessAStreamAddedIt() {
    fake.addTable("orders", "id", "INTEGER", "name", "STRING", "day", "DATE", "extra", "STRING",
        "_sequence_num", "INTEGER");
    try (BigQueryWarehouse w = open(settings())) {
      WarehouseException e = assertThrows(WarehouseException.class, () -> w.ensureTables(TABLE));
      assertThat(e.getMessage(), containsString("column 'extra' is in the table but not in the schema"));
      w.ensureTables(TABLE, io.replicator.warehouse.spi.Warehouse.AddedColumns.ACCEPTED);
    }
  }

  @Test
  public void aMissingDatasetIsNamedWithHowToCreateIt() {
    fake.datasetExists = false;
    try (BigQueryWarehouse w = open(settings())) {
      WarehouseException e = assertThrows(WarehouseException.class, () -> w.ensureTables(TABLE));
      assertThat(e.getMessage(), containsString("Not found: Dataset p:d"));
    }
    WarehouseException e = assertThrows(WarehouseException.class,
        () -> open(BigQuerySettings.parse("p.d").withEndpoint(fake.endpoint())));
    assertThat(e.getMessage(), containsString("dataset p.d does not exist; create it with 'bq mk --dataset"));
  }

  @Test
  public void jobsRunInTheDatasetsLocationWhenNoneIsGiven() {
    try (BigQueryWarehouse w = open(BigQuerySettings.parse("p.d").withEndpoint(fake.endpoint()))) {
      w.ensureTables(TABLE);
    }
    assertEquals("EU", fake.jobInserts().get(0).body().path("jobReference").path("location").asText());
    assertTrue(fake.requests.stream().anyMatch(q -> q.method().equals("GET") && q.path().endsWith("/datasets/d")));
  }

  @Test
  public void anUnreachableEndpointFailsWithWhereItTried() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    BigQuerySettings s = BigQuerySettings.parse("p.d").withEndpoint("http://127.0.0.1:" + port).withRetries(2, 1);
    WarehouseException e = assertThrows(WarehouseException.class, () -> open(s));
    assertThat(e.getMessage(), containsString("reading the dataset's location in p.d failed: cannot reach BigQuery at http://127.0.0.1:"
        + port + "/ after 2 attempts"));
  }

  @Test
  public void aReloadLoadsEveryBatchThenAppliesInOneTransactionOrNotAtAll() throws Exception {
    List<StagedBatch> batches = List.of(
        batch("{\"id\":1,\"name\":\"a\",\"_op\":\"INSERT\",\"_sequence_num\":10}"),
        batch("{\"id\":2,\"name\":\"b\",\"_op\":\"INSERT\",\"_sequence_num\":10}"),
        batch("{\"id\":3,\"name\":\"c\",\"_op\":\"INSERT\",\"_sequence_num\":10}"));
    java.nio.file.Path kept = tmp.newFile("kept.jsonl").toPath();
    java.nio.file.Files.writeString(kept, "{\"id\":7}\n");
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      int before = fake.jobInserts().size();
      ReloadRefusedException e = assertThrows(ReloadRefusedException.class,
          () -> w.applyReload(TABLE, batches, new Reload(10, 50, kept.toString(), true)));
      assertThat(e.getMessage(), containsString("would remove 60 of its 100 live rows"));
      assertThat(e.getMessage(), containsString("nothing of it was applied"));
      List<FakeBigQuery.Request> jobs = fake.jobInserts().subList(before, fake.jobInserts().size());
      List<String> kinds = jobs.stream().map(j -> j.body().path("configuration").path("labels").path("replicator")
          .asText()).toList();
      // One look-up of applied batches, one load of the three batch files, one of the kept keys,
      // then the one transaction: every load before it.
      assertEquals(List.of("query", "load", "load", "reload"), kinds);
      JsonNode load = jobs.get(1).body().path("configuration").path("load");
      assertEquals(3, load.path("sourceUris").size());
      assertEquals("WRITE_TRUNCATE", load.path("writeDisposition").asText());
      String script = jobs.get(3).body().path("configuration").path("query").path("query").asText();
      assertThat(script, containsString("BEGIN TRANSACTION;"));
      assertThat(script, containsString("EXCEPTION WHEN ERROR THEN\n  ROLLBACK TRANSACTION;"));
      assertThat(script, containsString("_staging_orders_kept_"));
      assertTrue("nothing was applied", fake.appliedBatches.isEmpty());
      assertTrue("the reload's own tables are gone", fake.tables.keySet().stream().noneMatch(t -> t.contains("_reload_")
          || t.contains("_kept_")));

      ReloadResult r = w.applyReload(TABLE, batches, new Reload(10, 70, kept.toString(), true));
      assertEquals(60, r.removed());
      assertEquals(1, r.kept());
      assertEquals(3, r.batches());
      assertEquals(3, fake.appliedBatches.size());
      // Applied once, a reload of the same batches changes nothing: no load, no transaction.
      int applied = fake.jobInserts().size();
      assertTrue(w.applyReload(TABLE, batches, new Reload(10, 70, null, true)).merged().alreadyApplied());
      assertEquals(applied + 1, fake.jobInserts().size());
    }
    JsonNode apply = fake.jobInserts().stream().filter(j -> j.jobId().contains("_apply")).reduce((a, b) -> b)
        .orElseThrow().body().path("configuration").path("query");
    assertTrue(apply.path("queryParameters").toString(), apply.path("queryParameters").toString()
        .contains("{\"name\":\"max_delete_percent\",\"parameterType\":{\"type\":\"FLOAT64\"}"));
  }

  @Test
  public void aReloadThatMayNotRemoveRunsNoRemoval() throws Exception {
    List<StagedBatch> batches = List.of(batch("{\"id\":1,\"name\":\"a\",\"_op\":\"INSERT\",\"_sequence_num\":10}"));
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      ReloadResult r = w.applyReload(TABLE, batches, new Reload(10, 0, null, false));
      assertEquals(0, r.removed());
    }
    String script = fake.jobInserts().stream().filter(j -> j.jobId().contains("_apply")).findFirst().orElseThrow()
        .body().path("configuration").path("query").path("query").asText();
    assertFalse(script, script.contains("DELETE FROM `p`.`d`.`orders`"));
    assertFalse(script, script.contains("_replicator_reloads"));
  }

  @Test
  public void jobIdsAreValidForAnyTableName() throws Exception {
    TargetTable hostile = new TargetTable("주문 select`x", SCHEMA, DeleteMode.SOFT);
    NativeChangeDecoder decoder = new NativeChangeDecoder(hostile.name(), SCHEMA);
    List<Change> changes = new ArrayList<>();
    decoder.decode("{\"id\":1,\"_op\":\"INSERT\",\"_sequence_num\":1}", changes::add);
    StagedBatch b = DuckDbWarehouseTest.stage(tmp.getRoot().toPath(), "hostile", changes);
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(hostile);
      w.merge(hostile, b);
    }
    for (String id : jobIds()) {
      assertTrue(id, id.matches("[A-Za-z0-9_-]{1,1024}"));
    }
    assertNotEquals(0, jobIds().size());
  }

  @Test
  public void theTargetsRowsAreReadBackAsCanonicalTextPageByPage() {
    fake.targetRows = List.of(Arrays.asList("1", "a", "2024-05-01"), Arrays.asList("2", null, null),
        Arrays.asList("3", "c", "2024-05-03"));
    List<String> seen = new ArrayList<>();
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      w.forEachRow(TABLE, values -> seen.add(String.join("|", Arrays.asList(values).stream()
          .map(String::valueOf).toList())));
    }
    assertEquals(List.of("1|a|2024-05-01", "2|null|null", "3|c|2024-05-03"), seen);
    String sql = fake.jobInserts().get(fake.jobInserts().size() - 1).body().path("configuration").path("query")
        .path("query").asText();
    assertEquals("SELECT CAST(`id` AS STRING) AS `id`, `name` AS `name`, CAST(`day` AS STRING) AS `day`"
        + " FROM `p`.`d`.`orders`", sql);
    assertEquals("two pages were read", 2, fake.requests.stream().filter(q -> q.path().contains("/queries/")
        && q.path().endsWith(fake.jobInserts().get(fake.jobInserts().size() - 1).jobId())).count());
  }

  @Test
  public void theTargetsRecordsOfKeysComeWithTheirSequencesAndTombstones() {
    fake.targetRows = List.of(Arrays.asList("1", "a", "2024-05-01", "17", "false"),
        Arrays.asList("2", null, null, "21", "true"));
    List<String> seen = new ArrayList<>();
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      w.forEachKeyRecord(TABLE, (values, sequence, deleted) -> seen.add(String.join("|", Arrays.asList(values)
          .stream().map(String::valueOf).toList()) + " @" + Arrays.toString(sequence) + (deleted ? " deleted" : "")));
    }
    assertEquals(List.of("1|a|2024-05-01 @[17]", "2|null|null @[21] deleted"), seen);
    String sql = fake.jobInserts().get(fake.jobInserts().size() - 1).body().path("configuration").path("query")
        .path("query").asText();
    assertEquals("SELECT CAST(`id` AS STRING) AS `id`, `name` AS `name`, CAST(`day` AS STRING) AS `day`,"
        + " `_sequence_num`, FALSE AS _deleted FROM `p`.`d`.`orders` UNION ALL SELECT CAST(`id` AS STRING),"
        + " CAST(NULL AS STRING), CAST(NULL AS STRING), `_sequence_num`, TRUE FROM `p`.`d`.`_deleted_orders`", sql);
  }

  @Test
  public void theRecordsOfAFewKeysAreAskedForByTheirFirstKeyColumn() {
    fake.targetRows = List.of(Arrays.asList("7", "a", "2024-05-01", "17", "false"));
    List<String> seen = new ArrayList<>();
    try (BigQueryWarehouse w = open(settings())) {
      w.ensureTables(TABLE);
      w.forEachKeyRecord(TABLE, List.of("7", "-3"), (values, sequence, deleted) -> seen.add(values[0]));
    }
    assertEquals(List.of("7"), seen);
    JsonNode query = fake.jobInserts().get(fake.jobInserts().size() - 1).body().path("configuration").path("query");
    assertEquals("SELECT CAST(`id` AS STRING) AS `id`, `name` AS `name`, CAST(`day` AS STRING) AS `day`,"
        + " `_sequence_num`, FALSE AS _deleted FROM `p`.`d`.`orders`"
        + " WHERE CAST(`id` AS STRING) IN UNNEST(JSON_VALUE_ARRAY(@first_keys)) UNION ALL SELECT CAST(`id` AS STRING),"
        + " CAST(NULL AS STRING), CAST(NULL AS STRING), `_sequence_num`, TRUE FROM `p`.`d`.`_deleted_orders`"
        + " WHERE CAST(`id` AS STRING) IN UNNEST(JSON_VALUE_ARRAY(@first_keys))", query.path("query").asText());
    assertEquals("first_keys", query.path("queryParameters").get(0).path("name").asText());
    assertEquals("[\"7\",\"-3\"]", query.path("queryParameters").get(0).path("parameterValue").path("value").asText());
  }

  @Test
  public void aCdcTargetHasThePrimaryKeyAndMaxStalenessAndNoBookkeeping() {
    try (BigQueryWarehouse w = open(settings().withCdc(600))) {
      w.ensureTables(TABLE);
      assertEquals(0, w.maxSequenceNum(TABLE));
    }
    String ddl = fake.jobInserts().get(0).body().path("configuration").path("query").path("query").asText();
    assertThat(ddl, containsString("PRIMARY KEY (`id`) NOT ENFORCED"));
    assertThat(ddl, containsString("max_staleness = INTERVAL '0-0 0 0:10:0' YEAR TO SECOND"));
    assertFalse(ddl.contains("_replicator_batches"));
    assertFalse(ddl.contains("_deleted_orders"));
    assertEquals("the key is recorded", List.of("[\"id\"]", "HARD"), fake.contracts.get("orders"));
    String max = fake.jobInserts().get(fake.jobInserts().size() - 1).body().path("configuration").path("query")
        .path("query").asText();
    assertEquals("SELECT MAX(`_sequence_num`) FROM `p`.`d`.`orders`", max);
  }

  @Test
  public void anExistingTableWithoutAPrimaryKeyIsRefusedForCdcWithTheFix() {
    fake.addTable("orders", "id", "INTEGER", "name", "STRING", "day", "DATE", "_sequence_num", "INTEGER");
    try (BigQueryWarehouse w = open(settings().withCdc(600))) {
      WarehouseException e = assertThrows(WarehouseException.class, () -> w.ensureTables(TABLE));
      assertThat(e.getMessage(), containsString("its primary key is missing (add it with ALTER TABLE ... ADD"
          + " PRIMARY KEY (id) NOT ENFORCED)"));
    }
  }
}
