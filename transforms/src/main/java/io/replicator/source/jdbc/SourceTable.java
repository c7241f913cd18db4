package io.replicator.source.jdbc;

import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.TableSchema;
import java.io.Serializable;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * A source table (or query) as the snapshot reads it: what to select from, its columns with their
 * warehouse types, and its key — discovered from the database's metadata, or given.
 */
public final class SourceTable implements Serializable {
  private final String display;
  private final String from;
  private final List<String> selectList;
  private final TableSchema schema;
  private final boolean isTable;
  private final String quotedTable;

  private SourceTable(String display, String from, List<String> selectList, TableSchema schema, boolean isTable,
      String quotedTable) {
    this.display = display;
    this.from = from;
    this.selectList = List.copyOf(selectList);
    this.schema = schema;
    this.isTable = isTable;
    this.quotedTable = quotedTable;
  }

  /**
   * Reads the columns and primary key of {@code table} ({@code schema.table}, or a table on the
   * search path). {@code keys} overrides the primary key; it is required when there is none.
   */
  public static SourceTable ofTable(Connection c, JdbcSource source, String table, List<String> keys)
      throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    String[] parts = splitName(table);
    String schemaName = parts[0];
    String tableName = parts[1];
    List<String[]> columns = columns(md, schemaName, tableName);
    if (columns.isEmpty() && !tableName.equals(tableName.toLowerCase(Locale.ROOT))) {
      tableName = tableName.toLowerCase(Locale.ROOT); // PostgreSQL folds unquoted names to lower case
      schemaName = schemaName == null ? null : schemaName.toLowerCase(Locale.ROOT);
      columns = columns(md, schemaName, tableName);
    }
    if (columns.isEmpty()) {
      throw new SQLException("table " + table + " does not exist in " + source.displayUrl()
          + " (or the user cannot see it)");
    }
    if (schemaName == null) {
      schemaName = columns.get(0)[5];
    }
    List<String> keyColumns = keys;
    if (keyColumns == null || keyColumns.isEmpty()) {
      TreeMap<Integer, String> pk = new TreeMap<>();
      try (ResultSet rs = md.getPrimaryKeys(null, schemaName, tableName)) {
        while (rs.next()) {
          pk.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME"));
        }
      }
      if (pk.isEmpty()) {
        throw new SQLException("table " + table + " has no primary key; name the columns that identify a row"
            + " with --keys");
      }
      keyColumns = new ArrayList<>(pk.values());
    }
    String quote = md.getIdentifierQuoteString().trim();
    String quoted = quote(quote, schemaName) + "." + quote(quote, tableName);
    return build(source, table, quoted, quote, columns, keyColumns, true);
  }

  /** The columns of a query's result; {@code keys} are required. */
  public static SourceTable ofQuery(Connection c, JdbcSource source, String query, List<String> keys)
      throws SQLException {
    if (keys == null || keys.isEmpty()) {
      throw new SQLException("--jdbcQuery needs --keys: the columns that identify a row of its result");
    }
    List<String[]> columns = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM (" + query + ") q WHERE 1 = 0")) {
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        columns.add(new String[] {md.getColumnLabel(i), md.getColumnTypeName(i), Integer.toString(md.getColumnType(i)),
            Integer.toString(md.getPrecision(i)), Integer.toString(md.getScale(i)),
            null, md.isNullable(i) == ResultSetMetaData.columnNoNulls ? "NO" : "YES"});
      }
    }
    String quote = c.getMetaData().getIdentifierQuoteString().trim();
    return build(source, "query", "(" + query + ")", quote, columns, keys, false);
  }

  private static SourceTable build(JdbcSource source, String display, String from, String quote,
      List<String[]> columns, List<String> keys, boolean isTable) {
    List<Column> cols = new ArrayList<>();
    List<String> select = new ArrayList<>();
    for (String[] c : columns) {
      ColumnType type = JdbcTypes.map(c[1], Integer.parseInt(c[2]), Integer.parseInt(c[3]), Integer.parseInt(c[4]));
      try {
        cols.add(new Column(c[0], type, "NO".equals(c[6])));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("source " + display + ": " + e.getMessage());
      }
      String ref = "q." + quote(quote, c[0]);
      boolean array = c[1] != null && c[1].startsWith("_");
      select.add(array && source.isPostgres() ? "to_json(" + ref + ")::text" : ref);
    }
    TableSchema schema;
    try {
      schema = new TableSchema(cols, keys);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("source " + display + ": " + e.getMessage());
    }
    return new SourceTable(display, from, select, schema, isTable, isTable ? from : null);
  }

  /**
   * The same source read into a given schema: its columns (matched by name, case-insensitively)
   * are selected, with the given types and key. For a target whose schema is fixed elsewhere.
   */
  public SourceTable withSchema(TableSchema target) {
    List<String> select = new ArrayList<>();
    for (Column c : target.columns()) {
      Integer index = schema.indexOf(c.name());
      if (index == null) {
        throw new IllegalArgumentException("column '" + c.name() + "' of the schema is not in source " + display);
      }
      select.add(selectList.get(index));
    }
    return new SourceTable(display, from, select, target, isTable, quotedTable);
  }

  /** Columns: name, type name, JDBC type, precision, scale, schema, nullable — in table order. */
  private static List<String[]> columns(DatabaseMetaData md, String schema, String table) throws SQLException {
    List<String[]> out = new ArrayList<>();
    try (ResultSet rs = md.getColumns(null, schema, table, null)) {
      while (rs.next()) {
        out.add(new String[] {rs.getString("COLUMN_NAME"), rs.getString("TYPE_NAME"),
            Integer.toString(rs.getInt("DATA_TYPE")), Integer.toString(rs.getInt("COLUMN_SIZE")),
            Integer.toString(rs.getInt("DECIMAL_DIGITS")), rs.getString("TABLE_SCHEM"), rs.getString("IS_NULLABLE")});
      }
    }
    return out;
  }

  /**
   * The tables matching a pattern ({@code public.*}, {@code sales.order_?}, {@code *_history}), as
   * {@code schema.table}, in name order; {@code *} stands for any characters, {@code ?} for one.
   * Without a schema, every schema but the database's own catalogs is searched.
   */
  public static List<String> matching(Connection c, String pattern) throws SQLException {
    String[] parts = splitName(pattern);
    DatabaseMetaData md = c.getMetaData();
    String escape = md.getSearchStringEscape();
    String schemaPattern = parts[0] == null ? null : like(parts[0], escape);
    List<String> out = new ArrayList<>();
    try (ResultSet rs = md.getTables(null, schemaPattern, like(parts[1], escape),
        new String[] {"TABLE", "PARTITIONED TABLE"})) {
      while (rs.next()) {
        String schema = rs.getString("TABLE_SCHEM");
        if (schema != null && (schema.equals("pg_catalog") || schema.equals("information_schema"))) {
          continue;
        }
        out.add(schema == null ? rs.getString("TABLE_NAME") : schema + "." + rs.getString("TABLE_NAME"));
      }
    }
    out.sort(null);
    return out;
  }

  /** A glob as a JDBC LIKE pattern; {@code _} and {@code %} in names stand for themselves. */
  private static String like(String glob, String escape) {
    return glob.replace(escape, escape + escape).replace("_", escape + "_").replace("%", escape + "%")
        .replace('*', '%').replace('?', '_');
  }

  private static String[] splitName(String table) {
    int dot = table.lastIndexOf('.');
    return dot < 0 ? new String[] {null, strip(table)}
        : new String[] {strip(table.substring(0, dot)), strip(table.substring(dot + 1))};
  }

  private static String strip(String name) {
    String n = name.trim();
    return n.length() > 1 && n.startsWith("\"") && n.endsWith("\"") ? n.substring(1, n.length() - 1).replace("\"\"", "\"") : n;
  }

  static String quote(String quote, String identifier) {
    return quote.isEmpty() ? identifier : quote + identifier.replace(quote, quote + quote) + quote;
  }

  public TableSchema schema() {
    return schema;
  }

  /** What to read from: a quoted table name or a parenthesised query; aliased {@code q}. */
  String from() {
    return from + " q";
  }

  List<String> selectList() {
    return selectList;
  }

  /** {@code schema.table} as the database names it (unquoted), or null for a query. */
  public String qualifiedName() {
    return quotedTable == null ? null : quotedTable.replace("\"", "").replace("`", "");
  }

  /** The quoted table name, or null for a query. */
  String quotedTable() {
    return quotedTable;
  }

  boolean isTable() {
    return isTable;
  }

  @Override
  public String toString() {
    return display;
  }
}
