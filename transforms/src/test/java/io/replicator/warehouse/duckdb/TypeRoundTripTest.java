package io.replicator.warehouse.duckdb;

import static org.junit.Assert.assertEquals;

import io.replicator.change.Change;
import io.replicator.change.TableSchema;
import io.replicator.change.DeleteMode;
import io.replicator.change.TargetTable;
import io.replicator.source.NativeChangeDecoder;
import java.util.ArrayList;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Every schema type, decoded from JSON, staged, loaded and merged into DuckDB, read back. */
public class TypeRoundTripTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  public static final String ALL_TYPES_JSON = """
      [{"name":"id","type":"INT64","mode":"REQUIRED"},
       {"name":"s","type":"STRING"},{"name":"b","type":"BYTES"},{"name":"i","type":"INTEGER"},
       {"name":"f","type":"FLOAT"},{"name":"n","type":"NUMERIC"},{"name":"bn","type":"BIGNUMERIC"},
       {"name":"ok","type":"BOOLEAN"},{"name":"d","type":"DATE"},{"name":"dt","type":"DATETIME"},
       {"name":"t","type":"TIME"},{"name":"ts","type":"TIMESTAMP"},{"name":"j","type":"JSON"}]""";
  public static final TableSchema ALL_TYPES = TableSchema.fromBigQueryJson(ALL_TYPES_JSON, List.of("id"));

  /** One row of extremes, one of values as text, one of NULLs, one of Debezium-style numbers. */
  public static final String[] SAMPLE_LINES = {
    // extremes
    "{\"id\":1,\"s\":\"한국어 \\\"q\\\" \\t \\\\ 😀\",\"b\":\"AP8=\",\"i\":9223372036854775807,\"f\":-1.5e300,"
        + "\"n\":\"-99999999999999999999999999999.999999999\",\"bn\":\"123456789012345678901234567890.12345678901234567890\","
        + "\"ok\":true,\"d\":\"0001-01-01\",\"dt\":\"9999-12-31 23:59:59.999999\",\"t\":\"23:59:59.999999\","
        + "\"ts\":\"2024-06-30T23:59:59.000001+09:00\",\"j\":{\"k\":[1,\"둘\",null]},\"_op\":\"INSERT\",\"_sequence_num\":1}",
    // ordinary values given as text, as CSV exports give them
    "{\"id\":2,\"s\":\"\",\"b\":\"\",\"i\":\"-42\",\"f\":\"0.1\",\"n\":\"0.5\",\"bn\":\"-1\",\"ok\":\"false\","
        + "\"d\":\"2024-02-29\",\"dt\":\"2024-02-29T12:00\",\"t\":\"00:00\",\"ts\":\"1970-01-01 00:00:00\","
        + "\"j\":\"[]\",\"_op\":\"INSERT\",\"_sequence_num\":1}",
    // NULLs everywhere but the key
    "{\"id\":3,\"s\":null,\"b\":null,\"i\":null,\"f\":null,\"n\":null,\"bn\":null,\"ok\":null,\"d\":null,"
        + "\"dt\":null,\"t\":null,\"ts\":null,\"j\":null,\"_op\":\"INSERT\",\"_sequence_num\":1}",
    // Debezium-style numbers for dates and times
    "{\"id\":4,\"d\":19782,\"t\":3723000001,\"ts\":1718409600123456,\"f\":\"NaN\",\"_op\":\"INSERT\",\"_sequence_num\":1}",
  };

  private static final String COLUMNS = "id, s, upper(hex(b)), i, f, n, bn, ok, d, dt::VARCHAR, t::VARCHAR, "
      + "strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ'), j";

  @Test
  public void everyTypeLandsWithItsValue() throws Exception {
    String[] lines = SAMPLE_LINES;
    NativeChangeDecoder decoder = new NativeChangeDecoder("all_types", ALL_TYPES);
    List<Change> changes = new ArrayList<>();
    for (String line : lines) {
      decoder.decode(line, changes::add);
    }
    TargetTable table = new TargetTable("all_types", ALL_TYPES, DeleteMode.HARD);
    try (DuckDbWarehouse w = DuckDbWarehouse.open(tmp.getRoot().toPath().resolve("w.duckdb"))) {
      w.ensureTables(table);
      assertEquals(4, w.merge(table, DuckDbWarehouseTest.stage(tmp.getRoot().toPath(), "all_types", changes)).inserted());
      List<String> rows = DuckDbWarehouseTest.rows(w, "SELECT " + COLUMNS + " FROM all_types ORDER BY id");
      assertEquals("1|한국어 \"q\" \t \\ 😀|00FF|9223372036854775807|-1.5E300|-99999999999999999999999999999.999999999"
          + "|123456789012345678901234567890.1234567890123456789|true|0001-01-01|9999-12-31 23:59:59.999999"
          + "|23:59:59.999999|2024-06-30T14:59:59.000001Z|{\"k\":[1,\"둘\",null]}", rows.get(0));
      assertEquals("2|||-42|0.1|0.500000000|-1|false|2024-02-29|2024-02-29 12:00:00|00:00:00"
          + "|1970-01-01T00:00:00.000000Z|[]", rows.get(1));
      assertEquals("3|null|null|null|null|null|null|null|null|null|null|null|null", rows.get(2));
      assertEquals("4|null|null|null|NaN|null|null|null|2024-02-29|null|01:02:03.000001|2024-06-15T00:00:00.123456Z|null", rows.get(3));
    }
  }
}
