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

  /**
   * A query parameter named {@code name}: {@code ?} where parameters are positional (JDBC), so
   * callers bind them in the order they appear; {@code @name} where they are named.
   */
  String parameter(String name);

  /** A literal of {@code type} from its canonical text (partition bounds; never row data). */
  String literal(io.replicator.change.ColumnType type, String canonical);

  /** {@code CREATE TEMP TABLE} or the dialect's form of it, for one transaction's scratch data. */
  String createTempTableAs(String name);

  /**
   * Where a row of the table aliased {@code alias} lies in storage, to apply changes in the
   * table's own order; null when the dialect has no such thing.
   */
  String physicalPosition(String alias);
}
