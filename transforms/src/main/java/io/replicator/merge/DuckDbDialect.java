package io.replicator.merge;

import io.replicator.change.ColumnType;
import java.util.List;
import java.util.StringJoiner;

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

  /** DuckDB refuses qualified names there, and reads a bare one as a column. */
  @Override
  public String updateTarget(String alias, String column) {
    return quote(column);
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
      case STRING -> text;
      case INT64 -> Long.toString(Long.parseLong(canonical));
      case DATE -> "DATE " + text;
      case DATETIME -> "TIMESTAMP " + text;
      case TIMESTAMP -> "TIMESTAMPTZ " + text;
      default -> throw new IllegalArgumentException("no literal for " + type + " columns");
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

  @Override
  public String namesType() {
    return "VARCHAR[]";
  }

  @Override
  public String isUnchanged(String names, String column) {
    return "list_contains(" + names + ", " + literal(ColumnType.STRING, column) + ")";
  }

  @Override
  public String latest(String value, String order, String filter) {
    // first() keeps NULLs (any_value and arg_max skip them).
    return "first(" + value + " ORDER BY " + order + " DESC)" + (filter == null ? "" : " FILTER (WHERE " + filter + ")");
  }

  @Override
  public String anyTrue(String condition) {
    return "bool_or(" + condition + ")";
  }

  @Override
  public String namesWhere(List<String[]> conditionAndName) {
    StringJoiner items = new StringJoiner(", ", "[", "]");
    for (String[] c : conditionAndName) {
      items.add("CASE WHEN " + c[0] + " THEN " + literal(ColumnType.STRING, c[1]) + " END");
    }
    return "list_filter(CAST(" + items + " AS VARCHAR[]), lambda x: x IS NOT NULL)";
  }

  @Override
  public String jsonObject(List<String[]> nameAndExpression) {
    StringJoiner members = new StringJoiner(", ");
    for (String[] m : nameAndExpression) {
      members.add(literal(ColumnType.STRING, m[0]) + ", " + m[1]);
    }
    return "CAST(json_object(" + members + ") AS VARCHAR)";
  }

  @Override
  public String jsonValue(ColumnType type, String expression) {
    return type == ColumnType.BYTES ? "to_base64(" + expression + ")" : expression;
  }
}
