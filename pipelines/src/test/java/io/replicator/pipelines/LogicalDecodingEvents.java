package io.replicator.pipelines;

import io.replicator.source.jdbc.Lsn;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Debezium PostgreSQL change events made from PostgreSQL's own logical decoding ({@code
 * test_decoding}), with the positions the connector gives them: {@code source.lsn} the change's
 * LSN, {@code source.sequence} the LSN of the last commit before the change's transaction and the
 * change's LSN, {@code source.txId}. Transactions come in commit order, as the connector streams
 * them. For tables whose columns are text or bigint.
 */
final class LogicalDecodingEvents {
  private LogicalDecodingEvents() {}

  static void createSlot(Connection c, String slot) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
    }
  }

  static void dropSlot(Connection c, String slot) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  /** The events of every transaction committed since the slot was created (or last read). */
  static List<String> read(Connection c, String slot) throws SQLException {
    List<String> events = new ArrayList<>();
    String lastCommit = null;
    String txId = null;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT lsn::text, xid::text, data FROM pg_logical_slot_get_changes('" + slot + "', NULL, NULL,"
            + " 'include-xids', '1', 'skip-empty-xacts', '1')")) {
      while (rs.next()) {
        long lsn = Lsn.parse(rs.getString(1));
        String data = rs.getString(3);
        if (data.startsWith("BEGIN")) {
          txId = rs.getString(2);
        } else if (data.startsWith("COMMIT")) {
          lastCommit = Long.toString(lsn);
        } else {
          events.add(event(data, lsn, lastCommit, txId));
        }
      }
    }
    return events;
  }

  /** {@code table public.t: UPDATE: old-key: id[bigint]:1 new-tuple: id[bigint]:2 "select"[text]:'x'}. */
  private static String event(String data, long lsn, String lastCommit, String txId) {
    int colon = data.indexOf(':');
    String[] name = data.substring("table ".length(), colon).split("\\.");
    String rest = data.substring(colon + 2);
    String kind = rest.substring(0, rest.indexOf(':'));
    rest = rest.substring(kind.length() + 1).trim();
    Map<String, String> before = null;
    Map<String, String> after = null;
    switch (kind) {
      case "INSERT" -> after = columns(rest);
      case "DELETE" -> before = columns(rest);
      case "UPDATE" -> {
        if (rest.startsWith("old-key:")) {
          int split = rest.indexOf(" new-tuple: ");
          before = columns(rest.substring("old-key:".length(), split).trim());
          after = columns(rest.substring(split + " new-tuple: ".length()));
        } else {
          after = columns(rest);
        }
      }
      default -> throw new IllegalStateException("not a row change: " + data);
    }
    String op = switch (kind) {
      case "INSERT" -> "c";
      case "UPDATE" -> "u";
      default -> "d";
    };
    return "{\"before\":" + json(before) + ",\"after\":" + json(after) + ",\"op\":\"" + op + "\",\"ts_ms\":"
        + System.currentTimeMillis() + ",\"source\":{\"connector\":\"postgresql\",\"db\":\"app\",\"schema\":\""
        + name[0] + "\",\"table\":\"" + name[1] + "\",\"txId\":" + txId + ",\"lsn\":" + lsn
        + ",\"sequence\":\"[" + (lastCommit == null ? "null" : "\\\"" + lastCommit + "\\\"") + ",\\\"" + lsn
        + "\\\"]\",\"ts_ms\":" + System.currentTimeMillis() + "}}";
  }

  /** Reads {@code name[type]:value ...}; names may be quoted, text values are quoted with '' escapes. */
  private static Map<String, String> columns(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = 0;
    while (i < text.length()) {
      String name;
      if (text.charAt(i) == '"') {
        StringBuilder sb = new StringBuilder();
        i++;
        while (!(text.charAt(i) == '"' && (i + 1 >= text.length() || text.charAt(i + 1) != '"'))) {
          sb.append(text.charAt(i));
          i += text.charAt(i) == '"' ? 2 : 1;
        }
        name = sb.toString();
        i++;
      } else {
        int open = text.indexOf('[', i);
        name = text.substring(i, open);
        i = open;
      }
      int close = text.indexOf("]:", i);
      String type = text.substring(i + 1, close);
      i = close + 2;
      String value;
      if (text.charAt(i) == '\'') {
        StringBuilder sb = new StringBuilder();
        i++;
        while (true) {
          char ch = text.charAt(i);
          if (ch == '\'' && i + 1 < text.length() && text.charAt(i + 1) == '\'') {
            sb.append('\'');
            i += 2;
          } else if (ch == '\'') {
            i++;
            break;
          } else {
            sb.append(ch);
            i++;
          }
        }
        value = quote(sb.toString());
      } else {
        int end = text.indexOf(' ', i);
        end = end < 0 ? text.length() : end;
        value = text.substring(i, end);
        if (!value.equals("null") && !type.equals("bigint") && !type.equals("integer")) {
          value = quote(value);
        }
        i = end;
      }
      out.put(name, value);
      while (i < text.length() && text.charAt(i) == ' ') {
        i++;
      }
    }
    return out;
  }

  private static String json(Map<String, String> row) {
    if (row == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder("{");
    row.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(quote(k)).append(':').append(v));
    return sb.append('}').toString();
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> sb.append(ch);
      }
    }
    return sb.append('"').toString();
  }
}
