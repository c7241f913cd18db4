package io.replicator.source.jdbc;

import io.replicator.change.ColumnType;
import java.sql.Types;
import java.util.Locale;

/**
 * Maps a source column's SQL type to a warehouse column type. PostgreSQL's type names are read
 * first (they say more than the JDBC type code); other databases fall back on the JDBC code.
 *
 * <table>
 *   <tr><th>PostgreSQL</th><th>warehouse</th></tr>
 *   <tr><td>smallint, integer, bigint (and serials)</td><td>INT64</td></tr>
 *   <tr><td>real, double precision</td><td>FLOAT64</td></tr>
 *   <tr><td>numeric(p,s) with s ≤ 9 and p − s ≤ 29</td><td>NUMERIC</td></tr>
 *   <tr><td>other numeric, unconstrained numeric</td><td>BIGNUMERIC</td></tr>
 *   <tr><td>boolean</td><td>BOOL</td></tr>
 *   <tr><td>date / timestamp / timestamptz / time</td><td>DATE / DATETIME / TIMESTAMP / TIME</td></tr>
 *   <tr><td>bytea</td><td>BYTES</td></tr>
 *   <tr><td>json, jsonb, arrays</td><td>JSON (arrays as JSON arrays)</td></tr>
 *   <tr><td>text, varchar, char, uuid, enums, interval, inet, timetz, money, xml, others</td><td>STRING</td></tr>
 * </table>
 */
public final class JdbcTypes {
  private JdbcTypes() {}

  public static ColumnType map(String typeName, int jdbcType, int precision, int scale) {
    String t = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    if (t.startsWith("_") || jdbcType == Types.ARRAY) {
      return ColumnType.JSON;
    }
    switch (t) {
      case "int2", "int4", "int8", "smallint", "integer", "bigint", "serial", "bigserial", "smallserial":
        return ColumnType.INT64;
      case "float4", "float8", "real", "double precision":
        return ColumnType.FLOAT64;
      case "numeric", "decimal":
        return numeric(precision, scale);
      case "bool", "boolean":
        return ColumnType.BOOL;
      case "date":
        return ColumnType.DATE;
      case "timestamp":
        return ColumnType.DATETIME;
      case "timestamptz":
        return ColumnType.TIMESTAMP;
      case "time":
        return ColumnType.TIME;
      case "bytea":
        return ColumnType.BYTES;
      case "json", "jsonb":
        return ColumnType.JSON;
      default:
        break;
    }
    switch (jdbcType) {
      case Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT:
        return ColumnType.INT64;
      case Types.REAL, Types.FLOAT, Types.DOUBLE:
        return ColumnType.FLOAT64;
      case Types.NUMERIC, Types.DECIMAL:
        return numeric(precision, scale);
      case Types.BOOLEAN, Types.BIT:
        return ColumnType.BOOL;
      case Types.DATE:
        return ColumnType.DATE;
      case Types.TIMESTAMP:
        return ColumnType.DATETIME;
      case Types.TIMESTAMP_WITH_TIMEZONE:
        return ColumnType.TIMESTAMP;
      case Types.TIME:
        return ColumnType.TIME;
      case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB:
        return ColumnType.BYTES;
      default:
        return ColumnType.STRING;
    }
  }

  /** PostgreSQL reports an unconstrained numeric with precision 0 (or 131089). */
  private static ColumnType numeric(int precision, int scale) {
    boolean constrained = precision > 0 && precision <= 1000;
    if (constrained && scale >= 0 && scale <= 9 && precision - scale <= 29) {
      return ColumnType.NUMERIC;
    }
    return ColumnType.BIGNUMERIC;
  }
}
