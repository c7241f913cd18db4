package io.replicator.warehouse.bigquery;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.api.services.bigquery.model.TableFieldSchema;
import io.replicator.change.StagedBatch;
import io.replicator.change.Change;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.DeleteMode;
import io.replicator.change.TargetTable;
import io.replicator.source.NativeChangeDecoder;
import io.replicator.warehouse.duckdb.DuckDbWarehouseTest;
import io.replicator.warehouse.duckdb.TypeRoundTripTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Every schema type as the staged JSON gives it to a BigQuery load job: the staging table's type
 * and the value's JSON form, checked against the forms BigQuery's newline-delimited JSON loader
 * accepts for that type.
 */
public class BigQueryLoadFormatTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final String DIGITS = "-?[0-9]+";
  private static final String DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
  private static final String TIME = "[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?";

  /** Per type: the staging column type, and what a non-null value must look like. */
  private static final Map<ColumnType, Object[]> ACCEPTED = new EnumMap<>(Map.ofEntries(
      Map.entry(ColumnType.STRING, new Object[] {"STRING", (Predicate<JsonNode>) JsonNode::isTextual}),
      Map.entry(ColumnType.BYTES, new Object[] {"BYTES", text("([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")}),
      Map.entry(ColumnType.INT64, new Object[] {"INT64", (Predicate<JsonNode>) JsonNode::canConvertToLong}),
      Map.entry(ColumnType.FLOAT64, new Object[] {"FLOAT64", (Predicate<JsonNode>) v -> v.isNumber()
          || v.isTextual() && v.asText().matches("NaN|Infinity|-Infinity")}),
      // Decimals go as strings: a JSON number would pass through a double and lose digits.
      Map.entry(ColumnType.NUMERIC, new Object[] {"NUMERIC", text(DIGITS + "(\\.[0-9]{1,9})?")}),
      Map.entry(ColumnType.BIGNUMERIC, new Object[] {"BIGNUMERIC", text(DIGITS + "(\\.[0-9]{1,38})?")}),
      Map.entry(ColumnType.BOOL, new Object[] {"BOOL", (Predicate<JsonNode>) JsonNode::isBoolean}),
      Map.entry(ColumnType.DATE, new Object[] {"DATE", text(DATE)}),
      Map.entry(ColumnType.DATETIME, new Object[] {"DATETIME", text(DATE + "T" + TIME)}),
      Map.entry(ColumnType.TIME, new Object[] {"TIME", text(TIME)}),
      Map.entry(ColumnType.TIMESTAMP, new Object[] {"TIMESTAMP", text(DATE + "T" + TIME + "Z")}),
      // A JSON column takes the value itself: an object, an array, a string, a number.
      Map.entry(ColumnType.JSON, new Object[] {"JSON", (Predicate<JsonNode>) v -> true})));

  private static Predicate<JsonNode> text(String regex) {
    return v -> v.isTextual() && v.asText().matches(regex);
  }

  @Test
  public void everyTypeIsStagedInAFormBigQueryLoads() throws Exception {
    assertEquals("every type is covered", ColumnType.values().length, ACCEPTED.size());
    TargetTable table = new TargetTable("all_types", TypeRoundTripTest.ALL_TYPES, DeleteMode.HARD);
    NativeChangeDecoder decoder = new NativeChangeDecoder(table.name(), table.schema());
    List<Change> changes = new ArrayList<>();
    for (String line : TypeRoundTripTest.SAMPLE_LINES) {
      decoder.decode(line, changes::add);
    }
    StagedBatch batch = DuckDbWarehouseTest.stage(tmp.getRoot().toPath(), table.name(), changes);

    List<TableFieldSchema> fields = BigQueryWarehouse.stagingSchema(table).getFields();
    for (Column c : table.schema().columns()) {
      TableFieldSchema f = fields.stream().filter(x -> x.getName().equals(c.name())).findFirst().orElseThrow();
      assertEquals(c.name(), ACCEPTED.get(c.type())[0], f.getType());
      assertEquals(c.name(), "NULLABLE", f.getMode());
    }
    int values = 0;
    for (String line : Files.readAllLines(Path.of(batch.file()))) {
      JsonNode row = FakeBigQuery.JSON.readTree(line);
      for (Column c : table.schema().columns()) {
        JsonNode v = row.get(c.name());
        if (v == null || v.isNull()) {
          continue;
        }
        @SuppressWarnings("unchecked")
        Predicate<JsonNode> ok = (Predicate<JsonNode>) ACCEPTED.get(c.type())[1];
        assertTrue(c.name() + " (" + c.type() + ") staged as " + v + ", which a BigQuery load rejects", ok.test(v));
        values++;
      }
      assertTrue(row.get("_op").isTextual());
      assertTrue(row.get("_sequence_num").canConvertToLong());
      assertEquals(batch.batchId(), row.get("_batch_id").asText());
      for (var names = row.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        assertTrue("field " + name + " has a staging column (loads reject unknown fields)",
            fields.stream().anyMatch(f -> f.getName().equals(name)));
      }
    }
    assertTrue("non-null values of every type were checked: " + values, values >= 30);
  }
}
