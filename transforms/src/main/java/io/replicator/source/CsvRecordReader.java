package io.replicator.source;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads RFC 4180 CSV records: comma separated, fields optionally in double quotes, a quote inside
 * quotes doubled, quoted fields may span lines, LF or CRLF line ends. An empty unquoted field is
 * null (SQL NULL); a quoted empty field is the empty string.
 */
final class CsvRecordReader {
  private final Reader in;
  private final StringBuilder raw = new StringBuilder();
  private final StringBuilder field = new StringBuilder();
  private long line = 1;
  private long recordLine;
  private int pushedBack = -2;
  private String error;

  CsvRecordReader(Reader in) {
    this.in = in;
  }

  /** The next record, or null at the end of the input. */
  List<String> next() throws IOException {
    raw.setLength(0);
    error = null;
    recordLine = line;
    int c = read();
    if (c == -1) {
      return null;
    }
    List<String> fields = new ArrayList<>();
    while (true) {
      field.setLength(0);
      boolean quoted = false;
      if (c == '"') {
        quoted = true;
        while (true) {
          c = read();
          if (c == -1) {
            error = "unterminated quoted field";
            fields.add(field.toString());
            return fields;
          }
          if (c == '"') {
            c = read();
            if (c == '"') {
              field.append('"');
              continue;
            }
            break;
          }
          field.append((char) c);
        }
        if (c != ',' && c != '\n' && c != '\r' && c != -1) {
          error = "text after a closing quote";
          while (c != '\n' && c != -1) {
            c = read();
          }
        }
      } else {
        while (c != ',' && c != '\n' && c != '\r' && c != -1) {
          field.append((char) c);
          c = read();
        }
      }
      fields.add(quoted || field.length() > 0 ? field.toString() : null);
      if (c == ',') {
        c = read();
        continue;
      }
      if (c == '\r') {
        int n = read();
        if (n != '\n' && n != -1) {
          pushedBack = n; // A bare CR ends the record; n starts the next one.
          raw.setLength(raw.length() - 1);
        }
      }
      if (raw.length() > 0 && (raw.charAt(raw.length() - 1) == '\n')) {
        raw.setLength(raw.length() - 1);
        if (raw.length() > 0 && raw.charAt(raw.length() - 1) == '\r') {
          raw.setLength(raw.length() - 1);
        }
      }
      return fields;
    }
  }

  /** The 1-based line the last record started on. */
  long recordLine() {
    return recordLine;
  }

  /** The last record's text as it stood in the file, for dead letters. */
  String rawRecord() {
    return raw.toString();
  }

  /** Why the last record is malformed, or null. */
  String error() {
    return error;
  }

  private int read() throws IOException {
    int c;
    if (pushedBack != -2) {
      c = pushedBack;
      pushedBack = -2;
      raw.append((char) c);
      return c;
    }
    c = in.read();
    if (c != -1) {
      raw.append((char) c);
      if (c == '\n') {
        line++;
      }
    }
    return c;
  }
}
