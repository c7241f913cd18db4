package io.replicator.change;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A target table: its name in the warehouse, its schema and key, and how deletes are applied.
 * Besides the table itself the warehouse keeps {@code _staging_<name>} (staged batches) and, with
 * hard deletes, {@code _deleted_<name>} (tombstones).
 */
public record TargetTable(String name, TableSchema schema, DeleteMode deleteMode) implements Serializable {
  public TargetTable {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(deleteMode, "deleteMode");
    checkName(name);
  }

  /** Rejects a name no target table may have: empty, or starting with '_' (the pipeline's own tables). */
  public static void checkName(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a target table name is required (--table)");
    }
    if (name.startsWith("_")) {
      throw new IllegalArgumentException(
          "table name '" + name + "' starts with '_', which is reserved for the pipeline's own tables");
    }
  }

  /** This table with nullable columns added after the others (a schema change seen in a stream). */
  public TargetTable withColumns(List<Column> added) {
    List<Column> columns = new ArrayList<>(schema.columns());
    columns.addAll(added);
    return new TargetTable(name, new TableSchema(columns, schema.keyColumns()), deleteMode);
  }

  public String stagingName() {
    return "_staging_" + name;
  }

  public String tombstoneName() {
    return "_deleted_" + name;
  }
}
