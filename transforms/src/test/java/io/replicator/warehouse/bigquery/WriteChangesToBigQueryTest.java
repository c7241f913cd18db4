package io.replicator.warehouse.bigquery;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.google.api.services.bigquery.model.Table;
import com.google.api.services.bigquery.model.TableReference;
import com.google.api.services.bigquery.model.TableRow;
import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.ColumnType;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.change.ValueKind;
import io.replicator.change.DeleteMode;
import io.replicator.change.TargetTable;
import io.replicator.source.DeadLetter;
import io.replicator.source.NativeChangeDecoder;
import io.replicator.source.RowReader;
import io.replicator.warehouse.duckdb.DuckDbWarehouse;
import io.replicator.warehouse.duckdb.DuckDbWarehouseTest;
import io.replicator.warehouse.duckdb.TypeRoundTripTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.gcp.testing.FakeBigQueryServices;
import org.apache.beam.sdk.io.gcp.testing.FakeDatasetService;
import org.apache.beam.sdk.io.gcp.testing.FakeJobService;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The {@code cdc} write method against Beam's fake BigQuery services, which apply UPSERT and DELETE
 * by primary key in change-sequence order: over shuffled, duplicated and replayed histories it
 * leaves the table the staged MERGE leaves on DuckDB.
 */
public class WriteChangesToBigQueryTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"region\",\"type\":\"STRING\",\"mode\":\"REQUIRED\"},"
          + "{\"name\":\"select\",\"type\":\"STRING\"},{\"name\":\"설명\",\"type\":\"STRING\"},{\"name\":\"amount\",\"type\":\"NUMERIC\"}]",
      List.of("id", "region"));
  private static final BigQuerySettings SETTINGS = BigQuerySettings.parse("my-project.replica").withCdc(900);

  private FakeDatasetService datasets;
  private FakeBigQueryServices services;

  @Before
  public void setUp() throws Exception {
    FakeDatasetService.setUp();
    datasets = new FakeDatasetService();
    datasets.createDataset("my-project", "replica", "", "", null);
    services = new FakeBigQueryServices().withDatasetService(datasets).withJobService(new FakeJobService());
  }

  private TableReference create(TargetTable table) throws Exception {
    TableReference ref = new TableReference().setProjectId("my-project").setDatasetId("replica").setTableId(table.name());
    datasets.createTable(new Table().setTableReference(ref).setSchema(WriteChangesToBigQuery.schema(table)));
    datasets.setPrimaryKey(ref, table.schema().keyColumns());
    return ref;
  }

  /** What the last run refused; static, since the pipeline's functions run on copies. */
  private static final List<DeadLetter> REFUSED = Collections.synchronizedList(new ArrayList<>());

  /** One run: the changes through the transform; returns what BigQuery refused. */
  private List<DeadLetter> write(TargetTable table, List<Change> changes) {
    REFUSED.clear();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<DeadLetter> refused = p.apply(Create.of(changes).withCoder(ChangeCoder.of()))
        .apply(WriteChangesToBigQuery.into(SETTINGS, table).withGroupBounds(4096, 50).withTestServices(services));
    PAssert.that(refused).satisfies(letters -> {
      letters.forEach(REFUSED::add);
      return null;
    });
    p.run().waitUntilFinish();
    return new ArrayList<>(REFUSED);
  }

  /** A history: inserts, updates, deletes and re-inserts of 60 keys, non-ASCII and quotes included. */
  private static List<String> history(Random random, int operations, long firstSequence) {
    List<String> lines = new ArrayList<>();
    String[] regions = {"서울", "east", "we\"st"};
    for (int i = 0; i < operations; i++) {
      long seq = firstSequence + i;
      int id = random.nextInt(20);
      String region = regions[random.nextInt(regions.length)];
      String op = random.nextInt(4) == 0 ? "DELETE" : "UPDATE";
      lines.add("{\"id\":" + id + ",\"region\":\"" + region.replace("\"", "\\\"") + "\",\"select\":\"s" + seq
          + "\",\"설명\":\"설명 " + seq + "\",\"amount\":\"" + seq + ".25\",\"_op\":\"" + op
          + "\",\"_sequence_num\":" + seq + "}");
    }
    return lines;
  }

  private static List<Change> decode(TargetTable table, List<String> lines) throws Exception {
    NativeChangeDecoder decoder = new NativeChangeDecoder(table.name(), table.schema());
    List<Change> out = new ArrayList<>();
    for (String line : lines) {
      decoder.decode(line, out::add);
    }
    return out;
  }

  /** Each row as canonical JSON, parsed the way rows read back from any target are. */
  private static List<String> canonical(TableSchema schema, List<String[]> rows) throws Exception {
    RowReader reader = new RowReader(schema);
    List<String> out = new ArrayList<>();
    for (String[] values : rows) {
      reader.reset();
      for (int i = 0; i < values.length; i++) {
        reader.set(i, ValueKind.TEXT, values[i]);
      }
      out.add(reader.rowJson());
    }
    Collections.sort(out);
    return out;
  }

  private List<String> bigQueryRows(TargetTable table) throws Exception {
    List<String[]> rows = new ArrayList<>();
    for (TableRow r : datasets.getAllRows("my-project", "replica", table.name())) {
      String[] values = new String[table.schema().columns().size()];
      for (int i = 0; i < values.length; i++) {
        Object v = r.get(table.schema().column(i).name());
        values[i] = v == null ? null : v.toString();
        if (values[i] != null && table.schema().column(i).type() == ColumnType.TIMESTAMP) {
          // The fake renders a stored TIMESTAMP as "2024-06-30 T14:59:59.000001" (UTC).
          values[i] = values[i].replace(" T", "T") + "Z";
        }
      }
      rows.add(values);
    }
    return canonical(table.schema(), rows);
  }

  private List<String> duckDbRows(TargetTable table, List<List<Change>> runs) throws Exception {
    List<String[]> rows = new ArrayList<>();
    Path dir = tmp.newFolder().toPath();
    try (DuckDbWarehouse w = DuckDbWarehouse.open(dir.resolve("w.duckdb"))) {
      w.ensureTables(table);
      for (List<Change> run : runs) {
        w.merge(table, DuckDbWarehouseTest.stage(tmp.newFolder().toPath(), table.name(), run));
      }
      w.forEachRow(table, rows::add);
    }
    return canonical(table.schema(), rows);
  }

  @Test
  public void shuffledDuplicatedAndReplayedHistoriesLeaveTheTableTheMergeLeaves() throws Exception {
    TargetTable table = new TargetTable("orders", SCHEMA, DeleteMode.HARD);
    create(table);
    Random random = new Random(5);
    List<Change> first = decode(table, history(random, 400, 1));
    List<Change> second = decode(table, history(random, 400, 401));
    // The second run also replays a third of the first run's changes, and repeats some of its own.
    List<Change> secondRun = new ArrayList<>(second);
    for (Change c : first) {
      if (random.nextInt(3) == 0) {
        secondRun.add(c);
      }
    }
    secondRun.addAll(second.subList(0, 50));
    Collections.shuffle(secondRun, random);
    List<Change> firstRun = new ArrayList<>(first);
    Collections.shuffle(firstRun, random);

    assertTrue(write(table, firstRun).isEmpty());
    assertTrue(write(table, secondRun).isEmpty());

    List<String> expected = duckDbRows(table, List.of(firstRun, secondRun));
    assertTrue("the history leaves rows: " + expected.size(), expected.size() > 10);
    assertEquals(expected, bigQueryRows(table));
  }

  @Test
  public void everyTypeRoundTripsThroughTheStorageWriteApi() throws Exception {
    // Beam's fake reads rows back as TableRows by name, where a column named "f" collides with the
    // TableRow's own cell list; the pipeline writes positional cells, which BigQuery takes as they
    // are. So the fake gets the float column under another name.
    TableSchema schema = TableSchema.fromBigQueryJson(
        TypeRoundTripTest.ALL_TYPES_JSON.replace("\"name\":\"f\"", "\"name\":\"fl\""), List.of("id"));
    TargetTable table = new TargetTable("all_types", schema, DeleteMode.HARD);
    create(table);
    List<String> lines = new ArrayList<>();
    for (String line : TypeRoundTripTest.SAMPLE_LINES) {
      lines.add(line.replace("\"f\":", "\"fl\":"));
    }
    List<Change> changes = decode(table, lines);
    assertTrue(write(table, changes).isEmpty());
    assertEquals(duckDbRows(table, List.of(changes)), bigQueryRows(table));
  }

  @Test
  public void anEqualSequenceIsSettledByThePipelinesRuleNotByArrivalOrder() throws Exception {
    TargetTable table = new TargetTable("swap", SCHEMA, DeleteMode.HARD);
    create(table);
    // A key swap inside one source transaction: both keys deleted and upserted at sequence 7.
    String a = "[1,\"a\"]";
    List<Change> changes = List.of(
        new Change("swap", ChangeOp.UPSERT, a, Sequence.of(7), "\"id\":1,\"region\":\"a\",\"select\":\"new\""),
        new Change("swap", ChangeOp.DELETE, a, Sequence.of(7), "\"id\":1,\"region\":\"a\""));
    for (List<Change> order : List.of(changes, List.of(changes.get(1), changes.get(0)))) {
      FakeDatasetService.setUp();
      datasets.createDataset("my-project", "replica", "", "", null);
      create(table);
      write(table, order);
      assertEquals(1, datasets.getAllRows("my-project", "replica", "swap").size());
    }
  }

  @Test
  public void changeSequenceNumbersAreHexSectionsWithoutTrailingZeroParts() {
    String[][] cases = {
      {"0", "0"}, {"5", "5"}, {"5,0", "5"}, {"5,1", "5/1"}, {"255,0,0,7", "FF/0/0/7"},
      {String.valueOf(Long.MAX_VALUE), "7FFFFFFFFFFFFFFF"}, {"0,4294967295", "0/FFFFFFFF"}};
    for (String[] c : cases) {
      long[] parts = java.util.Arrays.stream(c[0].split(",")).mapToLong(Long::parseLong).toArray();
      assertEquals(c[0], c[1], WriteChangesToBigQuery.changeSequenceNumber(
          new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(parts), "\"id\":1")));
    }
  }

  @Test
  public void aSequenceBigQueryCannotOrderIsADeadLetterNotALoss() throws Exception {
    TargetTable table = new TargetTable("neg", SCHEMA, DeleteMode.HARD);
    create(table);
    List<DeadLetter> refused = write(table, List.of(
        new Change("neg", ChangeOp.UPSERT, "[1,\"a\"]", Sequence.of(5, -2), "\"id\":1,\"region\":\"a\""),
        new Change("neg", ChangeOp.UPSERT, "[2,\"a\"]", Sequence.of(5), "\"id\":2,\"region\":\"a\"")));
    assertEquals(1, refused.size());
    assertTrue(refused.get(0).reason(), refused.get(0).reason().contains("has a negative part"));
    assertEquals(1, datasets.getAllRows("my-project", "replica", "neg").size());
  }

  @Test
  public void aPartialRowIsADeadLetterPointingToMergeNotAWholeRowWithNulls() throws Exception {
    TargetTable table = new TargetTable("part", SCHEMA, DeleteMode.HARD);
    create(table);
    List<DeadLetter> refused = write(table, List.of(
        new Change("part", ChangeOp.UPSERT, "[1,\"a\"]", Sequence.of(5), "\"id\":1,\"region\":\"a\"",
            "[\"amount\"]"),
        new Change("part", ChangeOp.UPSERT, "[2,\"a\"]", Sequence.of(5), "\"id\":2,\"region\":\"a\"")));
    assertEquals(1, refused.size());
    assertTrue(refused.get(0).reason(), refused.get(0).reason().contains("use --bigQueryWriteMethod=merge"));
    assertEquals(1, datasets.getAllRows("my-project", "replica", "part").size());
  }
}
