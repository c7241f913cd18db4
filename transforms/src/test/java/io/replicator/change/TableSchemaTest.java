package io.replicator.change;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

public class TableSchemaTest {
  private static String error(String json, String... keys) {
    return assertThrows(IllegalArgumentException.class,
        () -> TableSchema.fromBigQueryJson(json, List.of(keys))).getMessage();
  }

  @Test
  public void readsArrayAndFieldsForms() {
    TableSchema a = TableSchema.fromBigQueryJson(
        "[{\"name\":\"id\",\"type\":\"INTEGER\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]", List.of("id"));
    TableSchema b = TableSchema.fromBigQueryJson(
        "{\"fields\":[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\",\"mode\":\"NULLABLE\"}]}", List.of("ID"));
    assertEquals(a, b);
    assertEquals(List.of("id"), b.keyColumns());
    assertTrue(a.column(0).required());
  }

  @Test
  public void namesWhatIsWrong() {
    assertTrue(error("[{\"name\":\"id\",\"type\":\"INT64\"}]", "nope").contains("key column 'nope' is not in the schema (columns: id)"));
    assertTrue(error("[{\"name\":\"id\",\"type\":\"INT64\"},{\"name\":\"ID\",\"type\":\"STRING\"}]", "id").contains("appears twice"));
    assertTrue(error("[{\"name\":\"f\",\"type\":\"FLOAT64\"}]", "f").contains("cannot identify a row"));
    assertTrue(error("[{\"name\":\"r\",\"type\":\"RECORD\"}]", "r").contains("RECORD"));
    assertTrue(error("[{\"name\":\"_x\",\"type\":\"STRING\"}]", "_x").contains("reserved for metadata"));
    assertTrue(error("{not json", "id").contains("not valid JSON"));
    assertTrue(error("[{\"name\":\"id\",\"type\":\"INT64\"}]").contains("no key columns"));
  }
}
