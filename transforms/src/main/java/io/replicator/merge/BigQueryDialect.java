package io.replicator.merge;

import io.replicator.change.ColumnType;
import java.util.List;
import java.util.StringJoiner;

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

  /** A bare column named like the alias ({@code t}) would be the whole row to GoogleSQL. */
  @Override
  public String updateTarget(String alias, String column) {
    return alias + "." + quote(column);
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
      case STRING -> text;
      case INT64 -> Long.toString(Long.parseLong(canonical));
      case DATE -> "DATE " + text;
      case DATETIME -> "DATETIME " + text;
      case TIMESTAMP -> "TIMESTAMP " + text;
      default -> throw new IllegalArgumentException("no literal for " + type + " columns");
    };
  }

  @Override
  public String createTempTableAs(String name) {
    return "CREATE TEMP TABLE " + quote(name) + " AS";
  }

  @Override
  public String namesType() {
    return "ARRAY<STRING>";
  }

  @Override
  public String isUnchanged(String names, String column) {
    return literal(ColumnType.STRING, column) + " IN UNNEST(" + names + ")";
  }

  @Override
  public String latest(String value, String order, String filter) {
    if (filter == null) {
      return "ARRAY_AGG(" + value + " ORDER BY " + order + " DESC LIMIT 1)[OFFSET(0)]";
    }
    // Wrapped in a STRUCT so that a NULL value is kept while rows failing the filter are ignored.
    return "ARRAY_AGG(IF(" + filter + ", STRUCT(" + value + " AS v), NULL) IGNORE NULLS ORDER BY " + order
        + " DESC LIMIT 1)[SAFE_OFFSET(0)].v";
  }

  @Override
  public String anyTrue(String condition) {
    return "LOGICAL_OR(" + condition + ")";
  }

  @Override
  public String namesWhere(List<String[]> conditionAndName) {
    StringJoiner items = new StringJoiner(", ", "[", "]");
    for (String[] c : conditionAndName) {
      items.add("IF(" + c[0] + ", " + literal(ColumnType.STRING, c[1]) + ", NULL)");
    }
    return "ARRAY(SELECT n FROM UNNEST(CAST(" + items + " AS ARRAY<STRING>)) AS n WHERE n IS NOT NULL)";
  }

  @Override
  public String jsonObject(List<String[]> nameAndExpression) {
    StringJoiner fields = new StringJoiner(", ");
    for (String[] m : nameAndExpression) {
      fields.add(m[1] + " AS " + quote(m[0]));
    }
    return "TO_JSON_STRING(STRUCT(" + fields + "))";
  }

  @Override
  public String jsonValue(ColumnType type, String expression) {
    return expression; // TO_JSON_STRING writes BYTES as base64.
  }
}
