package io.replicator.source;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.replicator.change.Column;
import io.replicator.change.ColumnType;
import io.replicator.change.TableSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The row columns a Debezium event's schema envelope declares ({@code schema.fields[after]}), and
 * what they mean for a target table: nothing new, new nullable columns to add, or a change the
 * target cannot follow (a column dropped, a type changed, a new required column).
 */
final class EventSchema {
  /** One declared field: Kafka Connect type, Debezium's semantic name (or null), optional. */
  record Field(String name, String type, String semantic, boolean optional) {}

  /** What a table has to do to take an event of this schema. */
  record Verdict(List<Column> added, String refusal) {
    static final Verdict SAME = new Verdict(List.of(), null);
  }

  private EventSchema() {}

  /** The {@code after} (or {@code before}) struct's fields, from a parser at the schema object. */
  static List<Field> read(JsonParser p) throws IOException {
    List<Field> row = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      if (name.equals("fields") && p.currentToken() == JsonToken.START_ARRAY) {
        while (p.nextToken() == JsonToken.START_OBJECT) {
          List<Field> struct = new ArrayList<>();
          String field = readStruct(p, struct);
          if ("after".equals(field) || ("before".equals(field) && row == null)) {
            row = struct;
          }
        }
      } else {
        p.skipChildren();
      }
    }
    return row;
  }

  /** Reads one member of the envelope; collects its fields if it is a struct. Returns its name. */
  private static String readStruct(JsonParser p, List<Field> out) throws IOException {
    String field = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      if (name.equals("field")) {
        field = p.getText();
      } else if (name.equals("fields") && p.currentToken() == JsonToken.START_ARRAY) {
        while (p.nextToken() == JsonToken.START_OBJECT) {
          out.add(readField(p));
        }
      } else {
        p.skipChildren();
      }
    }
    return field;
  }

  private static Field readField(JsonParser p) throws IOException {
    String name = null;
    String type = null;
    String semantic = null;
    boolean optional = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      JsonToken t = p.nextToken();
      switch (key) {
        case "field" -> name = p.getText();
        case "type" -> type = t == JsonToken.VALUE_STRING ? p.getText() : skip(p);
        case "name" -> semantic = p.getText();
        case "optional" -> optional = t == JsonToken.VALUE_TRUE;
        default -> p.skipChildren();
      }
    }
    return new Field(name, type, semantic, optional);
  }

  private static String skip(JsonParser p) throws IOException {
    p.skipChildren();
    return "struct";
  }

  /** What {@code table} must do to take rows of {@code fields}. */
  static Verdict compare(String table, TableSchema schema, List<Field> fields) {
    List<Column> added = new ArrayList<>();
    List<String> declared = new ArrayList<>();
    for (Field f : fields) {
      declared.add(f.name().toLowerCase(Locale.ROOT));
      Integer index = schema.indexOf(f.name());
      if (index == null) {
        ColumnType type = typeOf(f);
        if (type == null) {
          return refuse(table, "new column '" + f.name() + "' has type " + describe(f)
              + ", which is not added by itself (add the column to the target, then replay the dead letters)");
        }
        if (!f.optional()) {
          return refuse(table, "new column '" + f.name() + "' is NOT NULL; only nullable columns are added to the"
              + " target by themselves");
        }
        added.add(new Column(f.name(), type, false));
        continue;
      }
      Column c = schema.column(index);
      if (!fits(f, c.type())) {
        return refuse(table, "column '" + c.name() + "' changed type: the target has " + c.type() + ", the source now "
            + describe(f));
      }
    }
    for (Column c : schema.columns()) {
      if (!declared.contains(c.name().toLowerCase(Locale.ROOT))) {
        return refuse(table, "column '" + c.name() + "' is no longer in the source's rows (dropped or renamed)");
      }
    }
    return added.isEmpty() ? Verdict.SAME : new Verdict(added, null);
  }

  private static Verdict refuse(String table, String why) {
    return new Verdict(List.of(), "schema change in " + table + " the target cannot follow: " + why
        + "; events of " + table + " go to dead letters until it is resolved");
  }

  private static String describe(Field f) {
    return f.type() + (f.semantic() == null ? "" : " (" + f.semantic() + ")");
  }

  /** The target type of a new column: what the decoders read the connector's values as. */
  static ColumnType typeOf(Field f) {
    String semantic = f.semantic() == null ? "" : f.semantic();
    String type = f.type() == null ? "" : f.type();
    switch (semantic) {
      case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date":
        return ColumnType.DATE;
      case "io.debezium.time.MicroTime":
        return ColumnType.TIME;
      case "io.debezium.time.MicroTimestamp":
        return ColumnType.DATETIME;
      case "io.debezium.time.ZonedTimestamp":
        return ColumnType.TIMESTAMP;
      case "io.debezium.data.Json":
        return ColumnType.JSON;
      case "":
        break;
      default:
        // Other semantic types (milli- and nanosecond times, binary decimals, geometry) have units
        // or encodings a plain column would misread; strings are the exception.
        return type.equals("string") ? ColumnType.STRING : null;
    }
    return switch (type) {
      case "boolean" -> ColumnType.BOOL;
      case "int8", "int16", "int32", "int64" -> ColumnType.INT64;
      case "float32", "float64", "double", "float" -> ColumnType.FLOAT64;
      case "string" -> ColumnType.STRING;
      case "bytes" -> ColumnType.BYTES;
      default -> null;
    };
  }

  /**
   * Whether values of a declared field can be a column's: families only, since one column type is
   * written several ways (a NUMERIC as a string, a DATE as an integer).
   */
  static boolean fits(Field f, ColumnType column) {
    if (f.semantic() != null) {
      return true; // Temporal and other semantic types: the value checks decide.
    }
    return switch (f.type() == null ? "" : f.type()) {
      case "boolean" -> column == ColumnType.BOOL;
      case "int8", "int16", "int32", "int64" -> column == ColumnType.INT64 || column == ColumnType.NUMERIC
          || column == ColumnType.BIGNUMERIC || column == ColumnType.FLOAT64 || column == ColumnType.DATE
          || column == ColumnType.TIME || column == ColumnType.DATETIME || column == ColumnType.TIMESTAMP;
      case "float32", "float64" -> column == ColumnType.FLOAT64 || column == ColumnType.NUMERIC
          || column == ColumnType.BIGNUMERIC;
      case "string" -> column != ColumnType.INT64 && column != ColumnType.FLOAT64 && column != ColumnType.BOOL;
      case "bytes" -> column == ColumnType.BYTES || column == ColumnType.NUMERIC || column == ColumnType.BIGNUMERIC;
      default -> false;
    };
  }
}
