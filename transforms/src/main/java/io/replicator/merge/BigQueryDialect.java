package io.replicator.merge;

import io.replicator.change.ColumnType;

/**
 * BigQuery GoogleSQL: identifiers in backticks (a backtick or backslash inside a name escaped with
 * a backslash), tables as {@code `project`.`dataset`.`table`}. Load jobs read the staged JSON into
 * the target types directly, so staging and target types are the same.
 */
public final class BigQueryDialect implements SqlDialect {
  private final String project;
  private final String dataset;

  public BigQueryDialect(String project, String dataset) {
    this.project = project;
    this.dataset = dataset;
  }

  @Override
  public String quote(String identifier) {
    return '`' + identifier.replace("\\", "\\\\").replace("`", "\\`") + '`';
  }

  @Override
  public String table(String name) {
    return quote(project) + "." + quote(dataset) + "." + quote(name);
  }

  @Override
  public String targetType(ColumnType type) {
    return typeName(type);
  }

  /** The GoogleSQL name of a column type (the same in tables, load schemas and Storage Write). */
  public static String typeName(ColumnType type) {
    return switch (type) {
      case STRING -> "STRING";
      case BYTES -> "BYTES";
      case INT64 -> "INT64";
      case FLOAT64 -> "FLOAT64";
      case NUMERIC -> "NUMERIC";
      case BIGNUMERIC -> "BIGNUMERIC";
      case BOOL -> "BOOL";
      case DATE -> "DATE";
      case DATETIME -> "DATETIME";
      case TIME -> "TIME";
      case TIMESTAMP -> "TIMESTAMP";
      case JSON -> "JSON";
    };
  }

  @Override
  public String stagingType(ColumnType type) {
    return targetType(type);
  }

  @Override
  public String fromStaging(ColumnType type, String expression) {
    return expression;
  }

  @Override
  public String physicalPosition(String alias) {
    return null; // Storage is BigQuery's own business.
  }

  @Override
  public String parameter(String name) {
    return "@" + name;
  }

  @Override
  public String literal(ColumnType type, String canonical) {
    String text = "'" + canonical.replace("\\", "\\\\").replace("'", "\\'") + "'";
    return switch (type) {
      case INT64 -> Long.toString(Long.parseLong(canonical));
      case DATE -> "DATE " + text;
      case DATETIME -> "DATETIME " + text;
      case TIMESTAMP -> "TIMESTAMP " + text;
      default -> throw new IllegalArgumentException("no literal bounds for " + type + " columns");
    };
  }

  @Override
  public String createTempTableAs(String name) {
    return "CREATE TEMP TABLE " + quote(name) + " AS";
  }
}
