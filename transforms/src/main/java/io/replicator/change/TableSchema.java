package io.replicator.change;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A table's columns and its key: what decoders validate input against and what the warehouse
 * creates.
 *
 * <pre>{@code
 * TableSchema schema = TableSchema.fromBigQueryJson(json, List.of("gvkey", "datadate"));
 * }</pre>
 */
public final class TableSchema implements Serializable {
  private final List<Column> columns;
  private final List<String> keyColumns;
  private final Map<String, Integer> indexByName = new HashMap<>();
  private final Map<String, Integer> indexByLowerName = new HashMap<>();
  private final int[] keyIndexes;

  public TableSchema(List<Column> columns, List<String> keyColumns) {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("the schema has no columns");
    }
    this.columns = List.copyOf(columns);
    for (int i = 0; i < columns.size(); i++) {
      String name = columns.get(i).name();
      // BigQuery column names are case-insensitive, so two names differing only in case clash.
      if (indexByLowerName.put(name.toLowerCase(Locale.ROOT), i) != null) {
        throw new IllegalArgumentException("column '" + name + "' appears twice in the schema");
      }
      indexByName.put(name, i);
    }
    if (keyColumns.isEmpty()) {
      throw new IllegalArgumentException("no key columns given (--keys)");
    }
    this.keyColumns = new ArrayList<>();
    this.keyIndexes = new int[keyColumns.size()];
    for (int k = 0; k < keyColumns.size(); k++) {
      Integer index = indexOf(keyColumns.get(k));
      if (index == null) {
        throw new IllegalArgumentException(
            "key column '" + keyColumns.get(k) + "' is not in the schema (columns: " + names() + ")");
      }
      Column column = columns.get(index);
      if (!column.type().canBeKey()) {
        throw new IllegalArgumentException(
            "key column '" + column.name() + "' has type " + column.type()
                + ", which cannot identify a row");
      }
      if (this.keyColumns.contains(column.name())) {
        throw new IllegalArgumentException("key column '" + column.name() + "' is given twice");
      }
      this.keyColumns.add(column.name());
      keyIndexes[k] = index;
    }
  }

  /**
   * Reads a BigQuery JSON schema: an array of {@code {"name", "type", "mode"}} objects, or an
   * object with that array under {@code "fields"} (as {@code bq show --schema} and the API give).
   */
  public static TableSchema fromBigQueryJson(String json, List<String> keyColumns) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IllegalArgumentException("the schema is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException("the schema cannot be read: " + e.getMessage());
    }
    if (root != null && root.isObject() && root.has("fields")) {
      root = root.get("fields");
    }
    if (root == null || !root.isArray()) {
      throw new IllegalArgumentException(
          "the schema must be a JSON array of {\"name\", \"type\", \"mode\"} objects");
    }
    List<Column> columns = new ArrayList<>();
    for (JsonNode field : root) {
      String name = field.path("name").asText("");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("a schema field has no name: " + field);
      }
      String mode = field.path("mode").asText("NULLABLE").toUpperCase(Locale.ROOT);
      if (mode.equals("REPEATED") || field.path("type").asText("").matches("(?i)RECORD|STRUCT")) {
        throw new IllegalArgumentException(
            "column '" + name + "': REPEATED and RECORD columns are not supported; use JSON");
      }
      if (!mode.equals("NULLABLE") && !mode.equals("REQUIRED")) {
        throw new IllegalArgumentException("column '" + name + "': unknown mode '" + mode + "'");
      }
      ColumnType type;
      try {
        type = ColumnType.parse(field.path("type").asText(""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("column '" + name + "': " + e.getMessage());
      }
      columns.add(new Column(name, type, mode.equals("REQUIRED")));
    }
    return new TableSchema(columns, keyColumns);
  }

  public List<Column> columns() {
    return columns;
  }

  public Column column(int index) {
    return columns.get(index);
  }

  public List<String> keyColumns() {
    return Collections.unmodifiableList(keyColumns);
  }

  /** Indexes of the key columns in {@link #columns()}, in key order. */
  public int[] keyIndexes() {
    return keyIndexes.clone();
  }

  /** The index of a column by its exact name, else case-insensitively; null when there is none. */
  public Integer indexOf(String name) {
    Integer exact = indexByName.get(name);
    return exact != null ? exact : indexByLowerName.get(name.toLowerCase(Locale.ROOT));
  }

  private String names() {
    List<String> names = new ArrayList<>();
    for (Column c : columns) {
      names.add(c.name());
    }
    return String.join(", ", names);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TableSchema s && s.columns.equals(columns) && s.keyColumns.equals(keyColumns);
  }

  @Override
  public int hashCode() {
    return columns.hashCode() * 31 + keyColumns.hashCode();
  }
}
