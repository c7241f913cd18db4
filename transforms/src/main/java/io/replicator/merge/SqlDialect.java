package io.replicator.merge;

import io.replicator.change.ColumnType;

/** What differs between warehouses in the SQL the merge runs. */
public interface SqlDialect {
  /** A quoted identifier: reserved words, spaces, quotes and non-ASCII all stay one name. */
  String quote(String identifier);

  /**
   * The column {@code column} as the target of {@code UPDATE SET} in a statement that aliases the
   * table {@code alias}: qualified where a bare name equal to the alias would mean the whole row.
   */
  String updateTarget(String alias, String column);

  /** A reference to a table of the target dataset. */
  String table(String name);

  /** The column type in the target table. */
  String targetType(ColumnType type);

  /** The column type in the staging table, as the staged JSON loads into it. */
  String stagingType(ColumnType type);

  /** Converts a staging column expression to the target type. */
  String fromStaging(ColumnType type, String expression);

  /**
   * A query parameter named {@code name}: {@code ?} where parameters are positional (JDBC), so
   * callers bind them in the order they appear; {@code @name} where they are named.
   */
  String parameter(String name);

  /** A literal of {@code type} from its canonical text (partition bounds, column names; never row data). */
  String literal(io.replicator.change.ColumnType type, String canonical);

  /** {@code CREATE TEMP TABLE} or the dialect's form of it, for one transaction's scratch data. */
  String createTempTableAs(String name);

  /**
   * Where a row of the table aliased {@code alias} lies in storage, to apply changes in the
   * table's own order; null when the dialect has no such thing.
   */
  String physicalPosition(String alias);

  /** The type of a list of column names (a partial row's unchanged columns). */
  String namesType();

  /** Whether the list of names {@code names} holds {@code column}; false for a NULL list. */
  String isUnchanged(String names, String column);

  /**
   * An aggregate: {@code value} of the row with the highest {@code order} among the group's rows
   * where {@code filter} holds (null: all rows), NULL values included; NULL when no row qualifies.
   */
  String latest(String value, String order, String filter);

  /** An aggregate: whether {@code condition} holds for some row of the group. */
  String anyTrue(String condition);

  /** A list of names: each {@code [condition, name]}'s name where its condition holds, in order. */
  String namesWhere(java.util.List<String[]> conditionAndName);

  /** JSON object text of {@code [name, expression]} members (a dead letter's row). */
  String jsonObject(java.util.List<String[]> nameAndExpression);

  /** A target column's value as {@link #jsonObject} should hold it (BYTES as base64). */
  String jsonValue(ColumnType type, String expression);
}
