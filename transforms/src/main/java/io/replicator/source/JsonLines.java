package io.replicator.source;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;

/** Parsing helpers shared by the JSON decoders. */
final class JsonLines {
  static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  /**
   * Without Jackson's duplicate detection (a set of every object's field names): for rows whose
   * reader refuses a column given twice itself ({@link RowReader}) and ignores other fields.
   */
  private static final JsonFactory ROWS = new JsonFactory();

  private JsonLines() {}

  /** A parser at the first token of {@code line}; a field given twice in an object is refused. */
  static JsonParser open(String line) throws IOException, RejectedInputException {
    return first(FACTORY.createParser(line));
  }

  /**
   * A parser at the first token of {@code line} that lets a field name repeat: only for a row read
   * by {@link RowReader#readObject} without a field handler, which refuses a column given twice.
   */
  static JsonParser openRow(String line) throws IOException, RejectedInputException {
    return first(ROWS.createParser(line));
  }

  private static JsonParser first(JsonParser p) throws IOException, RejectedInputException {
    if (p.nextToken() == null) {
      p.close();
      throw new RejectedInputException("empty line");
    }
    return p;
  }

  /** Rejects text after the top-level value. */
  static void requireEnd(JsonParser p) throws IOException, RejectedInputException {
    if (p.nextToken() != null) {
      throw new RejectedInputException("unexpected text after the JSON object");
    }
  }

  static RejectedInputException malformed(JsonParseException e) {
    String msg = e.getOriginalMessage();
    // Jackson appends where a value started, naming a redacted source: keep the first clause.
    for (String tail : new String[] {"\n", " (start marker", ": was expecting"}) {
      int at = msg.indexOf(tail);
      if (at > 0) {
        msg = msg.substring(0, at);
      }
    }
    return new RejectedInputException(
        "malformed JSON: " + msg + " (column " + e.getLocation().getColumnNr() + ")");
  }

  /** Reads a 64-bit integer given as a JSON number or a string of digits. */
  static long readLong(JsonParser p, String field) throws IOException, RejectedInputException {
    JsonToken t = p.currentToken();
    try {
      if (t == JsonToken.VALUE_NUMBER_INT) {
        return p.getLongValue();
      }
      if (t == JsonToken.VALUE_STRING) {
        return Long.parseLong(p.getText().trim());
      }
    } catch (NumberFormatException | com.fasterxml.jackson.core.exc.InputCoercionException e) {
      // fall through to the rejection below
    }
    throw new RejectedInputException(
        field + " must be a 64-bit integer, found " + describeValue(p));
  }

  static String describeValue(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    return t != null && t.isScalarValue() && t != JsonToken.VALUE_NULL
        ? "'" + p.getText() + "'"
        : RowReader.describe(t);
  }
}
