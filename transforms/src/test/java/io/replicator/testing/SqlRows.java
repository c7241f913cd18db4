package io.replicator.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** A query's rows as text, for assertions: each row's values as JDBC renders them, joined by {@code |}. */
public final class SqlRows {
  private SqlRows() {}

  /** The rows in the order the query returns them. */
  public static List<String> of(Connection connection, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          sb.append(i > 1 ? "|" : "").append(rs.getString(i));
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  /** The rows sorted as text. */
  public static List<String> sorted(Connection connection, String sql) throws SQLException {
    List<String> out = of(connection, sql);
    out.sort(null);
    return out;
  }
}
