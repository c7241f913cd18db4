package io.replicator.source;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.TableSchema;
import io.replicator.change.DeleteMode;
import io.replicator.change.TargetTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** Schema envelopes against a target: new nullable columns are added; other changes stop the table. */
public class EventSchemaTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"name\",\"type\":\"STRING\"}]",
      List.of("id"));
  private static final TargetTable ORDERS = new TargetTable("orders", SCHEMA, DeleteMode.HARD);

  /** An event with the envelope declaring {@code fields} (JSON field objects) and the row {@code after}. */
  static String event(String fields, String after) {
    String struct = "{\"type\":\"struct\",\"fields\":[" + fields + "],\"optional\":true,\"name\":\"app.public.orders.Value\"";
    return "{\"schema\":{\"type\":\"struct\",\"fields\":[" + struct + ",\"field\":\"before\"}," + struct
        + ",\"field\":\"after\"},{\"type\":\"string\",\"optional\":false,\"field\":\"op\"}],\"optional\":false,"
        + "\"name\":\"app.public.orders.Envelope\"},\"payload\":{\"before\":null,\"after\":" + after + ",\"op\":\"c\","
        + "\"source\":{\"connector\":\"postgresql\",\"schema\":\"public\",\"table\":\"orders\",\"lsn\":9}}}";
  }

  static final String ID = "{\"type\":\"int64\",\"optional\":false,\"field\":\"id\"}";
  static final String NAME = "{\"type\":\"string\",\"optional\":true,\"field\":\"name\"}";

  @Test
  public void aNewNullableColumnIsAddedAndDecoded() throws Exception {
    List<List<Column>> added = new ArrayList<>();
    DebeziumTables tables = new DebeziumTables(List.of(ORDERS), Map.of(), (t, columns) -> {
      added.add(columns);
      return t.withColumns(columns);
    });
    List<Change> out = new ArrayList<>();
    tables.decode(event(ID + "," + NAME, "{\"id\":1,\"name\":\"a\"}"), out::add);
    assertTrue(added.isEmpty());
    String withDay = ID + "," + NAME + ",{\"type\":\"int32\",\"optional\":true,\"name\":\"io.debezium.time.Date\","
        + "\"field\":\"shipped\"},{\"type\":\"boolean\",\"optional\":true,\"field\":\"rush\"}";
    tables.decode(event(withDay, "{\"id\":2,\"name\":\"b\",\"shipped\":19000,\"rush\":true}"), out::add);
    tables.decode(event(withDay, "{\"id\":3,\"name\":\"c\",\"shipped\":null,\"rush\":false}"), out::add);
    assertEquals(List.of(List.of(new Column("shipped", ColumnType.DATE, false), new Column("rush", ColumnType.BOOL, false))),
        added);
    assertEquals("\"id\":2,\"name\":\"b\",\"shipped\":\"2022-01-08\",\"rush\":true", out.get(1).rowJson());
  }

  @Test
  public void changesTheTargetCannotFollowRejectTheEventWithTheReason() {
    DebeziumTables tables = new DebeziumTables(List.of(ORDERS), Map.of(), (t, columns) -> t.withColumns(columns));
    String typeChanged = ID + ",{\"type\":\"int32\",\"optional\":true,\"field\":\"name\"}";
    assertRefused(tables, event(typeChanged, "{\"id\":1,\"name\":5}"), "column 'name' changed type");
    assertRefused(tables, event(ID, "{\"id\":1}"), "column 'name' is no longer in the source's rows");
    String required = ID + "," + NAME + ",{\"type\":\"string\",\"optional\":false,\"field\":\"code\"}";
    assertRefused(tables, event(required, "{\"id\":1,\"name\":\"a\",\"code\":\"x\"}"), "is NOT NULL");
    String millis = ID + "," + NAME + ",{\"type\":\"int64\",\"optional\":true,\"name\":\"io.debezium.time.Timestamp\","
        + "\"field\":\"at\"}";
    assertRefused(tables, event(millis, "{\"id\":1,\"name\":\"a\",\"at\":1}"), "not added by itself");
    DebeziumTables fixed = new DebeziumTables(List.of(ORDERS), Map.of());
    assertRefused(fixed, event(ID + "," + NAME + ",{\"type\":\"string\",\"optional\":true,\"field\":\"x\"}",
        "{\"id\":1,\"name\":\"a\",\"x\":\"y\"}"), "does not add columns");
  }

  private static void assertRefused(DebeziumTables tables, String event, String reason) {
    RejectedInputException e = assertThrows(RejectedInputException.class, () -> tables.decode(event, c -> {}));
    assertTrue(e.getMessage(), e.getMessage().contains(reason));
    assertTrue(e.getMessage(), e.getMessage().contains("orders"));
  }
}
