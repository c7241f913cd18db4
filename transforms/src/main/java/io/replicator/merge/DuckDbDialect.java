package io.replicator.merge;

import io.replicator.change.ColumnType;

/**
 * DuckDB: double-quoted identifiers; BYTES are staged as base64 text and decoded in the merge;
 * BIGNUMERIC (up to 76 digits) is kept as exact decimal text, beyond DuckDB's DECIMAL(38).
 */
public final class DuckDbDialect implements SqlDialect {
  public static final DuckDbDialect INSTANCE = new DuckDbDialect();

  @Override
  public String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  @Override
  public String table(String name) {
    return quote(name);
  }

  @Override
  public String targetType(ColumnType type) {
    return switch (type) {
      case STRING, BIGNUMERIC -> "VARCHAR";
      case BYTES -> "BLOB";
      case INT64 -> "BIGINT";
      case FLOAT64 -> "DOUBLE";
      case NUMERIC -> "DECIMAL(38,9)";
      case BOOL -> "BOOLEAN";
      case DATE -> "DATE";
      case DATETIME -> "TIMESTAMP";
      case TIME -> "TIME";
      case TIMESTAMP -> "TIMESTAMPTZ";
      case JSON -> "JSON";
    };
  }

  @Override
  public String stagingType(ColumnType type) {
    return type == ColumnType.BYTES ? "VARCHAR" : targetType(type);
  }

  @Override
  public String fromStaging(ColumnType type, String expression) {
    return type == ColumnType.BYTES ? "from_base64(" + expression + ")" : expression;
  }

  @Override
  public String parameter(String name) {
    return "?";
  }

  @Override
  public String literal(ColumnType type, String canonical) {
    String text = "'" + canonical.replace("'", "''") + "'";
    return switch (type) {
      case INT64 -> Long.toString(Long.parseLong(canonical));
      case DATE -> "DATE " + text;
      case DATETIME -> "TIMESTAMP " + text;
      case TIMESTAMP -> "TIMESTAMPTZ " + text;
      default -> throw new IllegalArgumentException("no literal bounds for " + type + " columns");
    };
  }

  @Override
  public String createTempTableAs(String name) {
    return "CREATE OR REPLACE TEMP TABLE " + quote(name) + " AS";
  }

  /**
   * DuckDB's row id. A MERGE that updates rows in an order other than the table's own is about a
   * hundred times slower (measured: 900,000 updates of a 1,000,000-row table, 63 s shuffled, 0.5 s
   * in row-id order).
   */
  @Override
  public String physicalPosition(String alias) {
    return alias + ".rowid";
  }
}
