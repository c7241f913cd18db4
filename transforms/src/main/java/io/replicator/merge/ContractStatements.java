package io.replicator.merge;

import io.replicator.change.ColumnType;

/**
 * The SQL of the record of each target's contract: the key columns and the delete mode it was
 * created with, one row per target in {@value #TABLES}, so that a run with other keys is refused
 * before it reads instead of failing (or, worse, succeeding) half way. Parameters are named
 * ({@link SqlDialect#parameter}), bound in the order each method documents.
 */
public final class ContractStatements {
  /** Every target's key columns (a JSON array of names) and delete mode. */
  public static final String TABLES = "_replicator_tables";

  private final SqlDialect d;

  public ContractStatements(SqlDialect dialect) {
    this.d = dialect;
  }

  public String create() {
    String str = d.targetType(ColumnType.STRING);
    return "CREATE TABLE IF NOT EXISTS " + d.table(TABLES) + " (table_name " + str + " NOT NULL, key_columns " + str
        + " NOT NULL, delete_mode " + str + " NOT NULL, recorded_at " + d.targetType(ColumnType.TIMESTAMP)
        + " NOT NULL)";
  }

  /** Parameter: {@code table_name}. Result: {@code key_columns, delete_mode}, or no row. */
  public String select() {
    return "SELECT key_columns, delete_mode FROM " + d.table(TABLES) + " WHERE table_name = "
        + d.parameter("table_name");
  }

  /** Parameters: {@code table_name}, {@code key_columns}, {@code delete_mode}. */
  public String insert() {
    return "INSERT INTO " + d.table(TABLES) + " (table_name, key_columns, delete_mode, recorded_at) VALUES ("
        + d.parameter("table_name") + ", " + d.parameter("key_columns") + ", " + d.parameter("delete_mode")
        + ", CURRENT_TIMESTAMP)";
  }

  /** Parameter: {@code table_name}. */
  public String delete() {
    return "DELETE FROM " + d.table(TABLES) + " WHERE table_name = " + d.parameter("table_name");
  }
}
