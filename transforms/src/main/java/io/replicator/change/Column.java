package io.replicator.change;

import java.io.Serializable;

/** One column of a table: its name as the warehouse spells it, its type, and whether it may be null. */
public record Column(String name, ColumnType type, boolean required) implements Serializable {
  public Column {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a column name must not be empty");
    }
    if (name.startsWith("_")) {
      // Names starting with '_' are the pipeline's own metadata columns in the target table.
      throw new IllegalArgumentException(
          "column '" + name + "' starts with '_', which is reserved for metadata columns");
    }
  }
}
