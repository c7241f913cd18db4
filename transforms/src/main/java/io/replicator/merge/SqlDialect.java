package io.replicator.merge;

import io.replicator.change.ColumnType;

/** What differs between warehouses in the SQL the merge runs. */
public interface SqlDialect {
  /** A quoted identifier: reserved words, spaces, quotes and non-ASCII all stay one name. */
  String quote(String identifier);

  /** A reference to a table of the target dataset. */
  String table(String name);

  /** The column type in the target table. */
  String targetType(ColumnType type);

  /** The column type in the staging table, as the staged JSON loads into it. */
  String stagingType(ColumnType type);

  /** Converts a staging column expression to the target type. */
  String fromStaging(ColumnType type, String expression);

  /** {@code CREATE TEMP TABLE} or the dialect's form of it, for one transaction's scratch data. */
  String createTempTableAs(String name);
}
