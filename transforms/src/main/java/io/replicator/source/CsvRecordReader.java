package io.replicator.source;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads RFC 4180 CSV records: comma separated, fields optionally in double quotes, a quote inside
 * quotes doubled, quoted fields may span lines, LF, CRLF or CR line ends. An empty unquoted field is
 * null (SQL NULL); a quoted empty field is the empty string. The text is read as strict UTF-8: a
 * record with a line that is not is still read, and {@link #malformedUtf8()} says so.
 */
final class CsvRecordReader {
  private final Utf8Lines in;
  private final StringBuilder raw = new StringBuilder();
  private final StringBuilder field = new StringBuilder();
  /** The line being read, its terminator, and how far each has been read. */
  private String line;
  private int linePos;
  private String terminator = "";
  private int terminatorPos;
  private long recordLine;
  private String error;
  private String malformedUtf8;

  CsvRecordReader(Utf8Lines in) {
    this.in = in;
  }

  /** The next record, or null at the end of the input. */
  List<String> next() throws IOException {
    raw.setLength(0);
    error = null;
    malformedUtf8 = null;
    int c = read();
    if (c == -1) {
      return null;
    }
    recordLine = in.lineNumber();
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
          while (c != '\n' && c != '\r' && c != -1) {
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
      if (c == '\r' && terminatorPos < terminator.length()) {
        read(); // The LF of a CRLF; a bare CR ends the record by itself.
      }
      int end = raw.length();
      if (end > 0 && raw.charAt(end - 1) == '\n') {
        end--;
      }
      if (end > 0 && raw.charAt(end - 1) == '\r') {
        end--;
      }
      raw.setLength(end);
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

  /** Where a line of the last record is not valid UTF-8 ("line N: invalid UTF-8 at byte M"), or null. */
  String malformedUtf8() {
    return malformedUtf8;
  }

  private int read() throws IOException {
    int c;
    while (true) {
      if (line != null && linePos < line.length()) {
        c = line.charAt(linePos++);
        break;
      }
      if (line != null && terminatorPos < terminator.length()) {
        c = terminator.charAt(terminatorPos++);
        break;
      }
      line = in.next();
      if (line == null) {
        return -1;
      }
      linePos = 0;
      terminator = in.terminator();
      terminatorPos = 0;
      if (in.malformed() != null && malformedUtf8 == null) {
        malformedUtf8 = "line " + in.lineNumber() + ": " + in.malformed();
      }
    }
    raw.append((char) c);
    return c;
  }
}
