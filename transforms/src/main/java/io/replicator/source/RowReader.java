package io.replicator.source;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.replicator.change.CanonicalValue;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.InvalidValueException;
import io.replicator.change.Json;
import io.replicator.change.TableSchema;
import io.replicator.change.ValueKind;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Arrays;

/**
 * Collects one row's column values, converted to canonical form, and writes them out as the row
 * JSON and key of a {@link io.replicator.change.Change}. Reused for every row a reader reads; not
 * thread-safe.
 */
public final class RowReader {
  /** Receives the fields of an object that are not columns (names starting with '_', envelopes). */
  public interface FieldHandler {
    /** Consumes the value the parser is at; returns false if the field is unknown. */
    boolean field(String name, JsonParser parser) throws IOException, RejectedInputException;
  }

  private static final JsonFactory JSON = new JsonFactory();

  private final TableSchema schema;
  private final int[] keyIndexes;
  private final String[] memberPrefixes;
  private final String[] texts;
  private final CanonicalValue.Form[] forms;
  private final boolean[] present;
  /** Columns the change leaves as they are (a placeholder, or named in _unchanged). */
  private final boolean[] unchanged;
  private boolean anyUnchanged;
  /** The forms a placeholder for an unchanged value takes (text, base64, hex, a one-element array); null: none. */
  private String[] placeholders;
  private final CanonicalValue value = new CanonicalValue();
  /** The column read at each field position of the last row: rows mostly repeat their order. */
  private final int[] columnAt;
  /** The longest row written so far (capped), to size the next one's builder. */
  private int rowCapacity = 256;

  public RowReader(TableSchema schema) {
    this.schema = schema;
    this.keyIndexes = schema.keyIndexes();
    int n = schema.columns().size();
    this.memberPrefixes = new String[n];
    for (int i = 0; i < n; i++) {
      memberPrefixes[i] = Json.quote(schema.column(i).name()) + ":";
    }
    this.texts = new String[n];
    this.forms = new CanonicalValue.Form[n];
    this.present = new boolean[n];
    this.unchanged = new boolean[n];
    this.columnAt = new int[n];
    Arrays.fill(columnAt, -1);
  }

  /**
   * Reads {@code placeholder} (in each form a connector writes it: text, base64 or hex bytes, a
   * one-element array) as "this column is unchanged", as Debezium writes a TOASTed value an UPDATE
   * did not touch. Null reads every value as a value.
   */
  public RowReader withUnavailableValue(String placeholder) {
    if (placeholder == null || placeholder.isEmpty()) {
      placeholders = null;
      return this;
    }
    byte[] bytes = placeholder.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    placeholders = new String[] {placeholder, java.util.Base64.getEncoder().encodeToString(bytes),
        java.util.Base64.getUrlEncoder().encodeToString(bytes), java.util.HexFormat.of().formatHex(bytes),
        "[" + Json.quote(placeholder) + "]"};
    return this;
  }

  private boolean isPlaceholder(String text) {
    if (placeholders != null) {
      for (String p : placeholders) {
        if (p.equals(text)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Marks column {@code index} as left unchanged by the change. */
  public void markUnchanged(int index) throws RejectedInputException {
    if (isKey(index)) {
      throw new RejectedInputException("key column '" + schema.column(index).name() + "' cannot be unchanged");
    }
    present[index] = true;
    texts[index] = null;
    unchanged[index] = true;
    anyUnchanged = true;
  }

  /**
   * Takes each column this row leaves unchanged from {@code old}, the row before the change, where
   * {@code old} has a value for it. Only a value counts: a NULL there may be a column the source did
   * not log (PostgreSQL logs the old row's key columns only, unless REPLICA IDENTITY FULL), and a
   * TOASTed value is never NULL. Returns whether the row is whole now.
   */
  public boolean completeFrom(RowReader old) {
    if (!anyUnchanged) {
      return true;
    }
    boolean whole = true;
    for (int i = 0; i < unchanged.length; i++) {
      if (!unchanged[i]) {
        continue;
      }
      if (old.present[i] && !old.unchanged[i] && old.texts[i] != null) {
        texts[i] = old.texts[i];
        forms[i] = old.forms[i];
        unchanged[i] = false;
      } else {
        whole = false;
      }
    }
    anyUnchanged = !whole;
    return whole;
  }

  /** Whether column {@code index} was given (a value, NULL, or unchanged). */
  boolean isPresent(int index) {
    return present[index];
  }

  /** Whether some column was left unchanged. */
  public boolean isPartial() {
    return anyUnchanged;
  }

  /**
   * Rejects a row that leaves columns unchanged where a whole row is needed (a snapshot row, an
   * insert): {@code what} names it in the reason.
   */
  public void requireWhole(String what) throws RejectedInputException {
    if (anyUnchanged) {
      throw new RejectedInputException(what + " holds the placeholder of an unavailable value in "
          + unchangedJson() + ": " + what + " must be whole");
    }
  }

  /** The unchanged columns as {@link io.replicator.change.UnchangedColumns#json} writes them, or null. */
  public String unchangedJson() {
    if (!anyUnchanged) {
      return null;
    }
    java.util.List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < unchanged.length; i++) {
      if (unchanged[i]) {
        names.add(schema.column(i).name());
      }
    }
    return io.replicator.change.UnchangedColumns.json(names);
  }

  TableSchema schema() {
    return schema;
  }

  public void reset() {
    Arrays.fill(present, false);
    Arrays.fill(texts, null);
    if (anyUnchanged) {
      Arrays.fill(unchanged, false);
      anyUnchanged = false;
    }
  }

  /**
   * Reads the object the parser is at (START_OBJECT) as a row. Fields starting with '_' and fields
   * the handler claims go to the handler; any other field must be a column.
   */
  void readObject(JsonParser p, FieldHandler handler) throws IOException, RejectedInputException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new RejectedInputException("expected a JSON object, found " + describe(p.currentToken()));
    }
    int position = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      Integer index = columnAtPosition(position++, name);
      if (index == null) {
        if (handler == null || !handler.field(name, p)) {
          if (name.startsWith("_")) {
            p.skipChildren(); // Other metadata (a _batch_id, say) is not part of the row.
            continue;
          }
          throw new RejectedInputException("column '" + name + "' is not in the schema");
        }
        continue;
      }
      if (present[index]) {
        throw new RejectedInputException("column '" + name + "' appears twice");
      }
      present[index] = true;
      readValue(index, p);
    }
  }

  /**
   * The column named {@code name}, the field at {@code position} of its object: the same column
   * as at that position of the last row when the name is the same (no lookup), else looked up.
   */
  private Integer columnAtPosition(int position, String name) {
    if (position < columnAt.length) {
      int last = columnAt[position];
      if (last >= 0 && schema.column(last).name().equals(name)) {
        return last;
      }
    }
    Integer index = name.startsWith("_") ? null : schema.indexOf(name);
    if (position < columnAt.length) {
      columnAt[position] = index == null ? -1 : index;
    }
    return index;
  }

  /**
   * As {@link #columnAtPosition(int, String)} for the name at {@code [from, to)} of {@code line}:
   * no String is made for a name the last row had at that position.
   */
  Integer columnAtPosition(int position, String line, int from, int to) {
    if (position < columnAt.length) {
      int last = columnAt[position];
      if (last >= 0) {
        String name = schema.column(last).name();
        if (name.length() == to - from && line.startsWith(name, from)) {
          return last;
        }
      }
    }
    return columnAtPosition(position, line.substring(from, to));
  }

  /** Sets column {@code index} to SQL NULL, as a JSON null reads. */
  void setNull(int index) {
    present[index] = true;
    texts[index] = null;
  }

  /**
   * The object or array the parser is at, as JSON text; a field given twice inside it is refused
   * (a JsonParseException) also where the row's parser lets its own fields repeat ({@link
   * JsonLines#openRow}): a JSON value is refused the same in a snapshot row and in a change line.
   */
  private static String copyStructure(JsonParser p) throws IOException {
    boolean strict = p.isEnabled(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION); // from this value's own object down
      g.copyCurrentStructure(p);
    } finally {
      if (!strict) {
        p.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      }
    }
    return w.toString();
  }

  /** Sets column {@code index} from the JSON value the parser is at. */
  void readValue(int index, JsonParser p) throws IOException, RejectedInputException {
    Column column = schema.column(index);
    present[index] = true;
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      setNull(index);
      return;
    }
    if (t == JsonToken.VALUE_STRING && placeholders != null && isPlaceholder(p.getText())) {
      markUnchanged(index);
      return;
    }
    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
      if (t == JsonToken.START_ARRAY && placeholders != null) {
        String array = copyStructure(p);
        if (isPlaceholder(array)) {
          markUnchanged(index);
          return;
        }
        if (column.type() != ColumnType.JSON) {
          throw new RejectedInputException("column '" + column.name() + "': expected " + column.type() + ", found an array");
        }
        texts[index] = array;
        forms[index] = CanonicalValue.Form.RAW_JSON;
        return;
      }
      if (column.type() != ColumnType.JSON) {
        throw new RejectedInputException(
            "column '" + column.name() + "': expected " + column.type() + ", found "
                + describe(t));
      }
      texts[index] = copyStructure(p);
      forms[index] = CanonicalValue.Form.RAW_JSON;
      return;
    }
    ValueKind kind = switch (t) {
      case VALUE_STRING -> ValueKind.TEXT;
      case VALUE_NUMBER_INT -> ValueKind.INTEGER;
      case VALUE_NUMBER_FLOAT -> ValueKind.DECIMAL;
      case VALUE_TRUE, VALUE_FALSE -> ValueKind.BOOLEAN;
      default -> throw new RejectedInputException(
          "column '" + column.name() + "': unexpected " + describe(t));
    };
    set(index, kind, p.getText());
  }

  /** Sets column {@code index} from a value of the given kind; null text is SQL NULL. */
  public void set(int index, ValueKind kind, String text) throws RejectedInputException {
    present[index] = true;
    if (kind == ValueKind.TEXT && placeholders != null && isPlaceholder(text)) {
      markUnchanged(index);
      return;
    }
    if (text == null) {
      texts[index] = null;
      return;
    }
    Column column = schema.column(index);
    if (column.type() == ColumnType.JSON && kind != ValueKind.TEXT) {
      texts[index] = text; // A JSON scalar is already JSON text.
      forms[index] = CanonicalValue.Form.RAW_JSON;
      return;
    }
    try {
      column.type().canonicalize(kind, text, value);
    } catch (InvalidValueException e) {
      throw new RejectedInputException("column '" + column.name() + "': " + e.getMessage());
    }
    texts[index] = value.text();
    forms[index] = value.form();
  }

  /** Checks REQUIRED columns and returns the row's columns as JSON members, in schema order. */
  public String rowJson() throws RejectedInputException {
    // A builder per row: one that has held a character beyond Latin-1 stays two bytes a
    // character and widens every later append.
    StringBuilder sb = new StringBuilder(rowCapacity);
    for (int i = 0; i < texts.length; i++) {
      if (texts[i] == null) {
        if (schema.column(i).required() && !unchanged[i]) {
          throw new RejectedInputException(
              "column '" + schema.column(i).name() + "' is REQUIRED but "
                  + (present[i] ? "null" : "missing"));
        }
        continue; // Absent members load as NULL, and keep staged lines short.
      }
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(memberPrefixes[i]);
      CanonicalValue.appendJson(sb, texts[i], forms[i]);
    }
    rowCapacity = Math.min(Math.max(rowCapacity, sb.length()), 1 << 16);
    return sb.toString();
  }

  /** The key columns only, as JSON members: the row a DELETE carries. */
  public String keyRowJson() throws RejectedInputException {
    key(); // Validates presence.
    StringBuilder sb = new StringBuilder(64);
    for (int k = 0; k < keyIndexes.length; k++) {
      int i = keyIndexes[k];
      if (k > 0) {
        sb.append(',');
      }
      sb.append(memberPrefixes[i]);
      CanonicalValue.appendJson(sb, texts[i], forms[i]);
    }
    return sb.toString();
  }

  /** The canonical key: a JSON array of the key columns' values. */
  public String key() throws RejectedInputException {
    StringBuilder sb = new StringBuilder(64);
    sb.append('[');
    for (int k = 0; k < keyIndexes.length; k++) {
      int i = keyIndexes[k];
      if (texts[i] == null) {
        throw new RejectedInputException(
            "key column '" + schema.column(i).name() + "' is " + (present[i] ? "null" : "missing"));
      }
      if (k > 0) {
        sb.append(',');
      }
      CanonicalValue.appendJson(sb, texts[i], forms[i]);
    }
    return sb.append(']').toString();
  }

  /**
   * The canonical key when every key column holds a value that is not a repair of bad input
   * (U+FFFD), else null: what can still be said of a row that was rejected.
   */
  public String keyOrNull() {
    for (int i : keyIndexes) {
      if (texts[i] == null || texts[i].indexOf('\uFFFD') >= 0) {
        return null;
      }
    }
    try {
      return key();
    } catch (RejectedInputException e) {
      return null;
    }
  }

  /** Whether column {@code index} is a key column. */
  public boolean isKey(int index) {
    for (int i : keyIndexes) {
      if (i == index) {
        return true;
      }
    }
    return false;
  }

  /** Whether any key column was given (a DELETE may name its key by before-values only). */
  boolean hasAnyKeyColumn() {
    for (int i : keyIndexes) {
      if (present[i]) {
        return true;
      }
    }
    return false;
  }

  static String describe(JsonToken t) {
    if (t == null) {
      return "the end of the input";
    }
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> t.toString();
    };
  }
}
