package io.replicator.source;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.TableSchema;
import io.replicator.change.DeleteMode;
import io.replicator.change.TargetTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** Which table an event is for, by its source block, with tables named bare or qualified. */
public class DebeziumTablesTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"}]", List.of("id"));
  private static final List<TargetTable> TABLES = List.of(new TargetTable("orders", SCHEMA, DeleteMode.HARD),
      new TargetTable("customers", SCHEMA, DeleteMode.HARD));
  private final DebeziumTables tables = new DebeziumTables(TABLES, Map.of("orders", "public.orders"));
  private final List<Change> out = new ArrayList<>();

  private static String event(String source) {
    return "{\"op\":\"c\",\"after\":{\"id\":1},\"source\":{\"connector\":\"postgresql\",\"lsn\":7," + source + "}}";
  }

  @Test
  public void qualifiedNamesMatchTheirSchemaOnly() throws Exception {
    assertEquals("orders", tables.decode(event("\"schema\":\"public\",\"table\":\"orders\""), out::add).table());
    assertEquals("orders", out.get(0).table());
    // Another schema's table of the same name is not ours.
    assertTrue(tables.decode(event("\"schema\":\"audit\",\"table\":\"orders\""), out::add).otherTable());
    // An event that names no schema still finds the one table of that name.
    assertEquals("orders", tables.decode(event("\"table\":\"ORDERS\""), out::add).table());
  }

  @Test
  public void bareNamesMatchAnySchemaOrDatabase() throws Exception {
    assertEquals("customers", tables.decode(event("\"db\":\"shop\",\"table\":\"customers\""), out::add).table());
    assertEquals("customers", tables.decode(event("\"schema\":\"x\",\"table\":\"Customers\""), out::add).table());
    assertEquals(2, out.size());
  }

  @Test
  public void tombstonesHeartbeatsAndOtherTablesCarryOn() throws Exception {
    assertEquals(0, tables.decode(null, out::add).changes());
    DebeziumTables.Decoded heartbeat = tables.decode("{\"schema\":null,\"payload\":{\"ts_ms\":5}}", out::add);
    assertEquals(0, heartbeat.changes());
    assertEquals(5, heartbeat.sourceMillis());
    assertTrue(tables.decode(event("\"table\":\"audit_log\""), out::add).otherTable());
    assertTrue(out.isEmpty());
  }

  @Test
  public void sourceTimeComesFromTheSourceBlock() throws Exception {
    String e = "{\"payload\":{\"op\":\"u\",\"after\":{\"id\":2},\"ts_ms\":99,\"source\":{\"connector\":\"postgresql\","
        + "\"table\":\"customers\",\"lsn\":8,\"ts_ms\":42}}}";
    assertEquals(42, tables.decode(e, out::add).sourceMillis());
  }

  @Test
  public void aChangeThatNamesNoTableIsRejectedWhenThereAreSeveral() {
    RejectedInputException e = assertThrows(RejectedInputException.class,
        () -> tables.decode("{\"op\":\"c\",\"after\":{\"id\":1}}", out::add));
    assertTrue(e.getMessage(), e.getMessage().contains("names no table"));
    RejectedInputException bad = assertThrows(RejectedInputException.class,
        () -> tables.decode(event("\"table\":\"orders\"").replace("\"id\":1", "\"id\":\"x\""), out::add));
    assertTrue(bad.getMessage(), bad.getMessage().contains("after"));
  }

  @Test
  public void oneTableTakesEventsThatNameNone() throws Exception {
    DebeziumTables one = new DebeziumTables(List.of(TABLES.get(0)), Map.of());
    assertEquals("orders", one.decode("{\"op\":\"c\",\"after\":{\"id\":1},\"source\":{\"connector\":\"postgresql\","
        + "\"lsn\":3}}", out::add).table());
  }
}
