package io.replicator.source;

import io.replicator.change.Sequence;
import java.util.Map;

/**
 * The sequence of a Debezium change event, from its {@code source} block. One number cannot
 * order every connector's positions, so a sequence has up to four parts compared in order:
 *
 * <ul>
 *   <li>PostgreSQL: the LSN of the last commit before the event's transaction (the connector
 *       streams transactions in commit order, so it grows from one transaction to the next), then
 *       the change's LSN — from {@code source.sequence} ({@code ["<last commit lsn>","<lsn>"]});
 *       without it, {@code lsn} alone.
 *   <li>MySQL: binlog file number, position, row within the event ({@code file}, {@code pos},
 *       {@code row}).
 *   <li>SQL Server: commit LSN (two parts: the VLF and block, then the slot), change LSN (the
 *       VLF and block), then the change LSN's slot with the event serial number.
 * </ul>
 */
final class DebeziumPosition {
  private DebeziumPosition() {}

  static Sequence of(Map<String, String> source) throws RejectedInputException {
    String connector = String.valueOf(source.get("connector"));
    try {
      switch (connector) {
        case "postgresql": {
          String seq = source.get("sequence");
          if (seq != null) {
            String[] parts = parseStringArray(seq);
            if (parts.length == 2 && parts[1] != null) {
              return Sequence.of(parts[0] == null ? 0 : Long.parseLong(parts[0]), Long.parseLong(parts[1]));
            }
          }
          return Sequence.of(Long.parseLong(require(source, "lsn")));
        }
        case "mysql": {
          String file = require(source, "file");
          int dot = file.lastIndexOf('.');
          long fileNumber = Long.parseLong(file.substring(dot + 1));
          long row = source.get("row") == null ? 0 : Long.parseLong(source.get("row"));
          return Sequence.of(fileNumber, Long.parseLong(require(source, "pos")), row);
        }
        case "sqlserver": {
          long[] commit = sqlServerLsn(require(source, "commit_lsn"));
          long[] change = sqlServerLsn(require(source, "change_lsn"));
          long serial = source.get("event_serial_no") == null ? 0 : Long.parseLong(source.get("event_serial_no"));
          return Sequence.of(commit[0], commit[1], change[0], (change[1] << 32) | (serial & 0xffffffffL));
        }
        default:
          throw new RejectedInputException(
              "no sequence for connector '" + connector
                  + "' (supported: postgresql, mysql, sqlserver)");
      }
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new RejectedInputException(
          "source position of connector '" + connector + "' is not readable: " + e.getMessage());
    }
  }

  private static String require(Map<String, String> source, String field) throws RejectedInputException {
    String value = source.get(field);
    if (value == null) {
      throw new RejectedInputException("source." + field + " is missing");
    }
    return value;
  }

  /** SQL Server LSNs read {@code 0000002d:00000450:0003}: VLF, block, slot in hex. */
  private static long[] sqlServerLsn(String lsn) {
    String[] p = lsn.split(":");
    if (p.length != 3) {
      throw new NumberFormatException("'" + lsn + "' is not an LSN");
    }
    return new long[] {
      (Long.parseLong(p[0], 16) << 32) | Long.parseLong(p[1], 16), Long.parseLong(p[2], 16)
    };
  }

  /** Parses {@code ["1","2"]} (Debezium writes the PostgreSQL sequence as such a string). */
  private static String[] parseStringArray(String text) {
    String t = text.trim();
    if (!t.startsWith("[") || !t.endsWith("]")) {
      throw new NumberFormatException("'" + text + "' is not a JSON array");
    }
    String[] items = t.substring(1, t.length() - 1).split(",");
    String[] out = new String[items.length];
    for (int i = 0; i < items.length; i++) {
      String item = items[i].trim();
      out[i] = item.equals("null") ? null : item.replace("\"", "");
    }
    return out;
  }
}
