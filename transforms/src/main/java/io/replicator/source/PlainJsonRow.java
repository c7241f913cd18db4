package io.replicator.source;

import io.replicator.change.ValueKind;

/**
 * Reads a row written as most files write every row, without a JSON parser: one flat object, no
 * whitespace, names and strings without escapes, scalar values. It takes each value's text as the
 * parser would give it and hands it to {@link RowReader#set} (or, for a field whose name starts
 * with '_', to the decoder's {@link MetadataField}), so values are converted and checked in one
 * place; it declines any line it does not take whole (whitespace, an escape, a nested value, a
 * field given twice, anything malformed, any value refused), and the caller then reads the line
 * with the parser, which accepts it or says what is wrong. So it never rejects a line and never
 * accepts one the parser would read otherwise.
 *
 * <p>One per decoder, not thread-safe (it keeps a buffer for the line's characters).
 *
 * <pre>{@code
 * PlainJsonRow plain = new PlainJsonRow();
 * row.reset();
 * if (!plain.read(line, row, null)) {
 *   row.reset();
 *   // read the line with the JSON parser
 * }
 * }</pre>
 */
final class PlainJsonRow {
  /** Takes a field whose name starts with '_' (metadata) and its scalar value. */
  interface MetadataField {
    /**
     * Takes {@code name}'s value: {@code text} of {@code kind}, or a JSON null (both null); false
     * declines the line (a field the parser would read otherwise, or refuse).
     */
    boolean field(String name, ValueKind kind, String text) throws RejectedInputException;
  }

  /** Lines longer than this are left to the parser, whose limits on strings apply to them. */
  static final int MAX_LINE = 1 << 20;
  /** Numbers longer than this are left to the parser (it refuses those over 1,000 digits). */
  private static final int MAX_NUMBER = 100;

  /** The line's characters: an array scans faster than a String's charAt, which checks its index and coding. */
  private char[] buffer = new char[512];
  /** The metadata names of the line read: a name given twice is the parser's to refuse. */
  private final java.util.List<String> metadataNames = new java.util.ArrayList<>(4);
  private ValueKind kind;
  private String text;
  private long taken;

  /**
   * Reads {@code line} into {@code row} (reset before), metadata fields to {@code metadata} (null:
   * a line with one is declined); false when it declines the line.
   */
  boolean read(String line, RowReader row, MetadataField metadata) {
    int n = line.length();
    if (n < 2 || n > MAX_LINE || line.charAt(0) != '{' || line.charAt(n - 1) != '}') {
      return false;
    }
    if (buffer.length < n) {
      buffer = new char[Math.max(n, buffer.length * 2)];
    }
    char[] chars = buffer;
    line.getChars(0, n, chars, 0);
    metadataNames.clear();
    int i = 1;
    int position = 0;
    try {
      while (true) {
        // "name":
        if (i >= n || chars[i] != '"') {
          return false;
        }
        int nameStart = i + 1;
        int nameEnd = plainStringEnd(chars, nameStart, n);
        if (nameEnd < 0 || nameEnd == nameStart || nameEnd + 1 >= n || chars[nameEnd + 1] != ':') {
          return false;
        }
        int end = value(chars, nameEnd + 2, n);
        if (end < 0 || end >= n) {
          return false; // a value this reader leaves to the parser, or no room for what must follow it
        }
        if (chars[nameStart] == '_') {
          String name = new String(chars, nameStart, nameEnd - nameStart);
          if (metadata == null || metadataNames.contains(name) || !metadata.field(name, kind, text)) {
            return false;
          }
          metadataNames.add(name);
          position++;
        } else {
          Integer index = row.columnAtPosition(position++, line, nameStart, nameEnd);
          if (index == null || row.isPresent(index)) {
            return false; // not a column, or given twice: the parser says which
          }
          if (kind == null) {
            row.setNull(index);
          } else {
            row.set(index, kind, text);
          }
        }
        // , or the closing brace, which must end the line
        char next = chars[end];
        if (next == '}') {
          if (end != n - 1) {
            return false;
          }
          taken++;
          return true;
        }
        if (next != ',') {
          return false;
        }
        i = end + 1;
      }
    } catch (RejectedInputException e) {
      return false; // the parser's reading gives the reason
    }
  }

  /** How many lines this reader has read whole (not declined). */
  long linesTaken() {
    return taken;
  }

  /**
   * Reads the scalar value at {@code v} into {@link #kind} and {@link #text} (both null for null)
   * and returns where it ends, or -1 for a value left to the parser: an object, an array, a string
   * with an escape, a long number, anything that is not JSON.
   */
  private int value(char[] chars, int v, int n) {
    if (v >= n) {
      return -1;
    }
    char c = chars[v];
    if (c == '"') {
      int end = plainStringEnd(chars, v + 1, n);
      if (end < 0) {
        return -1;
      }
      kind = ValueKind.TEXT;
      text = new String(chars, v + 1, end - v - 1);
      return end + 1;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      int end = numberEnd(chars, v, n);
      if (end < 0 || end - v > MAX_NUMBER) {
        return -1;
      }
      text = new String(chars, v, end - v);
      kind = isInteger(text) ? ValueKind.INTEGER : ValueKind.DECIMAL;
      return end;
    }
    if (matches(chars, v, n, "null")) {
      kind = null;
      text = null;
      return v + 4;
    }
    if (matches(chars, v, n, "true") || matches(chars, v, n, "false")) {
      kind = ValueKind.BOOLEAN;
      text = c == 't' ? "true" : "false";
      return v + text.length();
    }
    return -1;
  }

  private static boolean matches(char[] chars, int at, int n, String literal) {
    if (at + literal.length() > n) {
      return false;
    }
    for (int k = 0; k < literal.length(); k++) {
      if (chars[at + k] != literal.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** The index of the quote closing a string that starts at {@code from}, or -1 at an escape, a control character or the line's end. */
  private static int plainStringEnd(char[] line, int from, int n) {
    for (int i = from; i < n; i++) {
      char c = line[i];
      if (c == '"') {
        return i;
      }
      if (c == '\\' || c < 0x20) {
        return -1;
      }
    }
    return -1;
  }

  /** The end of a number in JSON's grammar starting at {@code from}, or -1 where it breaks the grammar. */
  private static int numberEnd(char[] line, int from, int n) {
    int i = from;
    if (line[i] == '-') {
      i++;
    }
    if (i >= n) {
      return -1;
    }
    if (line[i] == '0') {
      i++;
    } else if (line[i] >= '1' && line[i] <= '9') {
      i = digitsEnd(line, i, n);
    } else {
      return -1;
    }
    if (i < n && line[i] == '.') {
      int start = i + 1;
      i = digitsEnd(line, start, n);
      if (i == start) {
        return -1;
      }
    }
    if (i < n && (line[i] == 'e' || line[i] == 'E')) {
      i++;
      if (i < n && (line[i] == '+' || line[i] == '-')) {
        i++;
      }
      int start = i;
      i = digitsEnd(line, start, n);
      if (i == start) {
        return -1;
      }
    }
    // A digit after a leading zero ("01") is not JSON either: it is not a separator.
    return i;
  }

  private static int digitsEnd(char[] line, int from, int n) {
    int i = from;
    while (i < n && line[i] >= '0' && line[i] <= '9') {
      i++;
    }
    return i;
  }

  /** Whether a number of JSON's grammar is an integer (no fraction or exponent): the parser's INT token. */
  private static boolean isInteger(String number) {
    for (int i = 0; i < number.length(); i++) {
      char c = number.charAt(i);
      if (c == '.' || c == 'e' || c == 'E') {
        return false;
      }
    }
    return true;
  }
}
