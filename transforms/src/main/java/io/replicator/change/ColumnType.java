package io.replicator.change;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.Base64;
import java.util.Locale;

/**
 * The column types of a BigQuery table schema, and the conversion of input values into the one
 * canonical form each type is staged in.
 *
 * <p>Canonical forms follow what BigQuery load jobs accept for newline-delimited JSON: integers
 * and floats as JSON numbers, NUMERIC/BIGNUMERIC as exact decimal strings, BYTES as base64,
 * dates and times in ISO-8601, TIMESTAMP in UTC with a {@code Z}, JSON as a JSON value.
 * Numbers given for date and time types are read as Debezium sends them: DATE as days since the
 * epoch, TIME as microseconds since midnight, TIMESTAMP and DATETIME as epoch microseconds.
 */
public enum ColumnType {
  STRING,
  BYTES,
  INT64,
  FLOAT64,
  NUMERIC,
  BIGNUMERIC,
  BOOL,
  DATE,
  DATETIME,
  TIME,
  TIMESTAMP,
  JSON;

  private static final JsonFactory JSON_FACTORY = new JsonFactory();

  /** Date-time text with either {@code T} or a space, optional fraction, optional offset. */
  private static final DateTimeFormatter LENIENT_DATE_TIME =
      new DateTimeFormatterBuilder()
          .append(DateTimeFormatter.ISO_LOCAL_DATE)
          .optionalStart().appendLiteral('T').optionalEnd()
          .optionalStart().appendLiteral(' ').optionalEnd()
          .append(DateTimeFormatter.ISO_LOCAL_TIME)
          .optionalStart().appendLiteral(' ').optionalEnd()
          .optionalStart().appendOffset("+HH:MM:ss", "Z").optionalEnd()
          .optionalStart().appendOffset("+HHmm", "Z").optionalEnd()
          .optionalStart().appendOffset("+HH", "Z").optionalEnd()
          .toFormatter(Locale.ROOT);

  /**
   * Parses a type name as BigQuery schemas write it; legacy and standard SQL names are both
   * accepted (INTEGER/INT64, FLOAT/FLOAT64, BOOLEAN/BOOL, DECIMAL, BIGDECIMAL).
   */
  public static ColumnType parse(String name) {
    String n = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
    switch (n) {
      case "STRING": return STRING;
      case "BYTES": return BYTES;
      case "INTEGER": case "INT64": return INT64;
      case "FLOAT": case "FLOAT64": return FLOAT64;
      case "NUMERIC": case "DECIMAL": return NUMERIC;
      case "BIGNUMERIC": case "BIGDECIMAL": return BIGNUMERIC;
      case "BOOLEAN": case "BOOL": return BOOL;
      case "DATE": return DATE;
      case "DATETIME": return DATETIME;
      case "TIME": return TIME;
      case "TIMESTAMP": return TIMESTAMP;
      case "JSON": return JSON;
      default:
        throw new IllegalArgumentException(
            "unsupported column type '" + name + "' (supported: STRING, BYTES, INTEGER/INT64,"
                + " FLOAT/FLOAT64, NUMERIC, BIGNUMERIC, BOOLEAN/BOOL, DATE, DATETIME, TIME,"
                + " TIMESTAMP, JSON)");
    }
  }

  /** Whether values of this type can identify a row (a key column's type). */
  public boolean canBeKey() {
    return this != JSON && this != FLOAT64;
  }

  /**
   * Converts one input value into {@code out}.
   *
   * @throws InvalidValueException naming what is wrong with the value
   */
  public void canonicalize(ValueKind kind, String text, CanonicalValue out)
      throws InvalidValueException {
    try {
      switch (this) {
        case STRING -> out.set(text, CanonicalValue.Form.STRING);
        case BYTES -> {
          requireText(kind, text);
          Base64.getDecoder().decode(text);
          out.set(text, CanonicalValue.Form.STRING);
        }
        // 18 digits at most: always in range, and as Long.toString prints it.
        case INT64 -> out.set(kind != ValueKind.BOOLEAN && isCanonicalDecimal(text, 18, 0) ? text
            : exactLong(kind, text), CanonicalValue.Form.NUMBER);
        case FLOAT64 -> float64(kind, text, out);
        case NUMERIC -> out.set(decimal(kind, text, 29, 9), CanonicalValue.Form.STRING);
        case BIGNUMERIC -> out.set(decimal(kind, text, 38, 38), CanonicalValue.Form.STRING);
        case BOOL -> out.set(bool(kind, text) ? "true" : "false", CanonicalValue.Form.BOOLEAN);
        case DATE -> out.set(canonicalDate(kind, text), CanonicalValue.Form.STRING);
        case DATETIME -> out.set(dateTime(kind, text), CanonicalValue.Form.STRING);
        case TIME -> out.set(time(kind, text), CanonicalValue.Form.STRING);
        case TIMESTAMP -> out.set(timestamp(kind, text), CanonicalValue.Form.STRING);
        case JSON -> out.set(json(kind, text), CanonicalValue.Form.RAW_JSON);
      }
    } catch (InvalidValueException e) {
      throw e;
    } catch (IllegalArgumentException | DateTimeException | ArithmeticException e) {
      throw invalid(text);
    }
  }

  private InvalidValueException invalid(String text) {
    return new InvalidValueException("'" + abbreviate(text) + "' is not a valid " + this);
  }

  private static String abbreviate(String text) {
    return text.length() <= 64 ? text : text.substring(0, 61) + "...";
  }

  private void requireText(ValueKind kind, String text) throws InvalidValueException {
    if (kind != ValueKind.TEXT) {
      throw invalid(text);
    }
  }

  /** An INT64 value parsed and printed: what every integer value converts to. */
  String exactLong(ValueKind kind, String text) throws InvalidValueException {
    return Long.toString(parseLong(kind, text));
  }

  private long parseLong(ValueKind kind, String text) throws InvalidValueException {
    if (kind == ValueKind.BOOLEAN) {
      throw invalid(text);
    }
    String t = text.trim();
    if (kind == ValueKind.DECIMAL || (kind == ValueKind.TEXT && !isPlainInteger(t))) {
      // 1.0 or 1e3 are integers written another way; 1.5 is not.
      try {
        return new BigDecimal(t).longValueExact();
      } catch (ArithmeticException | NumberFormatException e) {
        throw invalid(text);
      }
    }
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      throw new InvalidValueException("'" + abbreviate(text) + "' is out of range for INT64");
    }
  }

  private static boolean isPlainInteger(String t) {
    int start = !t.isEmpty() && (t.charAt(0) == '-' || t.charAt(0) == '+') ? 1 : 0;
    if (start == t.length()) {
      return false;
    }
    for (int i = start; i < t.length(); i++) {
      if (t.charAt(i) < '0' || t.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private void float64(ValueKind kind, String text, CanonicalValue out)
      throws InvalidValueException {
    if (kind == ValueKind.BOOLEAN) {
      throw invalid(text);
    }
    String t = text.trim();
    switch (t) {
      case "NaN", "nan" -> out.set("NaN", CanonicalValue.Form.STRING);
      case "Infinity", "inf", "+Infinity", "+inf" -> out.set("Infinity", CanonicalValue.Form.STRING);
      case "-Infinity", "-inf" -> out.set("-Infinity", CanonicalValue.Form.STRING);
      // Finite without parsing: fewer than 300 digits and no exponent.
      default -> out.set(kind != ValueKind.TEXT && isShortPlainNumber(t) ? t : exactFloat64(kind, text),
          CanonicalValue.Form.NUMBER);
    }
  }

  /** A finite FLOAT64 value through {@link Double#parseDouble}: what every number converts to. */
  String exactFloat64(ValueKind kind, String text) throws InvalidValueException {
    String t = text.trim();
    double d = Double.parseDouble(t);
    if (Double.isInfinite(d)) {
      throw new InvalidValueException("'" + abbreviate(text) + "' is out of range for FLOAT64");
    }
    // A JSON number is already a JSON number: keep its text. FLOAT64 never identifies a row,
    // so no single canonical text is needed, and printing a double costs more than parsing it.
    return kind == ValueKind.TEXT ? Double.toString(d) : t;
  }

  private String decimal(ValueKind kind, String text, int maxIntegerDigits, int maxScale)
      throws InvalidValueException {
    if (kind == ValueKind.BOOLEAN) {
      throw invalid(text);
    }
    if (isCanonicalDecimal(text, maxIntegerDigits, maxScale)) {
      return text;
    }
    // A database prints a NUMERIC at its column's scale ("3550.3100"): its zeros dropped, it is canonical.
    String stripped = withoutTrailingFractionZeros(text);
    return stripped != null && isCanonicalDecimal(stripped, maxIntegerDigits, maxScale) ? stripped
        : exactDecimal(text, maxIntegerDigits, maxScale);
  }

  /** {@code t} without the zeros that end its fraction (and the point, if nothing is left after it); null when none do. */
  private static String withoutTrailingFractionZeros(String t) {
    int n = t.length();
    int point = t.indexOf('.');
    if (point < 0 || t.charAt(n - 1) != '0') {
      return null;
    }
    int end = n;
    while (end > point + 1 && t.charAt(end - 1) == '0') {
      end--;
    }
    return t.substring(0, end == point + 1 ? point : end);
  }

  /** A decimal value through {@link BigDecimal}: what every decimal value converts to. */
  String exactDecimal(String text, int maxIntegerDigits, int maxScale) throws InvalidValueException {
    BigDecimal d = new BigDecimal(text.trim());
    if (d.signum() == 0) {
      return "0";
    }
    d = d.stripTrailingZeros();
    if (d.scale() > maxScale) {
      throw new InvalidValueException(
          "'" + abbreviate(text) + "' has more than " + maxScale + " digits after the point for "
              + this);
    }
    if (d.precision() - d.scale() > maxIntegerDigits) {
      throw new InvalidValueException("'" + abbreviate(text) + "' is out of range for " + this);
    }
    return d.toPlainString();
  }

  // Canonical text is most input (a snapshot's numbers as a database prints them): checked by a
  // scan, it is kept as it is instead of being parsed and printed again (BigDecimal and
  // Double.parseDouble were 29% of a snapshot's decoding in a profile). Anything the scans do not
  // accept takes the full conversion.

  /** Whether {@code t} is what {@link #exactDecimal} returns for it: no '+', leading or trailing zeros, exponent or space, within the digits. */
  static boolean isCanonicalDecimal(String t, int maxIntegerDigits, int maxScale) {
    int n = t.length();
    int start = n > 0 && t.charAt(0) == '-' ? 1 : 0;
    int i = skipDigits(t, start);
    int integerDigits = i - start;
    if (integerDigits == 0 || (integerDigits > 1 && t.charAt(start) == '0')) {
      return false;
    }
    boolean zero = integerDigits == 1 && t.charAt(start) == '0';
    if (i == n) {
      return zero ? start == 0 : integerDigits <= maxIntegerDigits; // "-0" converts to "0"
    }
    if (t.charAt(i) != '.') {
      return false;
    }
    int fraction = skipDigits(t, i + 1) - (i + 1);
    return i + 1 + fraction == n && fraction > 0 && fraction <= maxScale && t.charAt(n - 1) != '0'
        && (zero || integerDigits <= maxIntegerDigits);
  }

  /** Whether {@code t} is digits with an optional '-' and fraction, under 300 characters: a finite double. */
  static boolean isShortPlainNumber(String t) {
    int n = t.length();
    int start = n > 0 && t.charAt(0) == '-' ? 1 : 0;
    int i = skipDigits(t, start);
    if (i == start || n >= 300) {
      return false;
    }
    if (i < n && t.charAt(i) == '.') {
      int end = skipDigits(t, i + 1);
      return end > i + 1 && end == n;
    }
    return i == n;
  }

  private static int skipDigits(String t, int from) {
    int i = from;
    while (i < t.length() && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
      i++;
    }
    return i;
  }

  private boolean bool(ValueKind kind, String text) throws InvalidValueException {
    switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "true", "t", "1", "yes":
        return true;
      case "false", "f", "0", "no":
        return false;
      default:
        throw invalid(text);
    }
  }

  /** The date as {@code yyyy-MM-dd}; text already in that form is kept as it is (the common case). */
  private String canonicalDate(ValueKind kind, String text) throws InvalidValueException {
    if (kind == ValueKind.TEXT && text.length() == 10 && text.charAt(4) == '-' && text.charAt(7) == '-') {
      int y = digits(text, 0, 4);
      int m = digits(text, 5, 7);
      int d = digits(text, 8, 10);
      if (y >= 1 && m >= 0 && d >= 0) {
        LocalDate.of(y, m, d); // validates month and day; throws DateTimeException
        return text;
      }
    }
    return inRange(date(kind, text), text).toString();
  }

  /** The number written by ASCII digits at [from, to), or -1 when any is not a digit. */
  private static int digits(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private LocalDate date(ValueKind kind, String text) throws InvalidValueException {
    if (kind == ValueKind.INTEGER) {
      return LocalDate.ofEpochDay(Long.parseLong(text));
    }
    requireText(kind, text);
    return LocalDate.parse(text.trim());
  }

  private String dateTime(ValueKind kind, String text) throws InvalidValueException {
    LocalDateTime value;
    if (kind == ValueKind.INTEGER) {
      value = LocalDateTime.ofInstant(epochMicros(Long.parseLong(text)), ZoneOffset.UTC);
    } else {
      requireText(kind, text);
      TemporalAccessor parsed = LENIENT_DATE_TIME.parse(text.trim());
      if (parsed.isSupported(ChronoField.OFFSET_SECONDS)) {
        throw new InvalidValueException(
            "'" + abbreviate(text) + "' has a time zone offset; a DATETIME has none (use TIMESTAMP)");
      }
      value = LocalDateTime.from(parsed);
    }
    requireMicros(value.getNano(), text);
    return inRange(value.toLocalDate(), text) + "T" + formatTime(value.toLocalTime());
  }

  private String time(ValueKind kind, String text) throws InvalidValueException {
    LocalTime value;
    if (kind == ValueKind.INTEGER) {
      value = LocalTime.ofNanoOfDay(Math.multiplyExact(Long.parseLong(text), 1000L));
    } else {
      requireText(kind, text);
      value = LocalTime.parse(text.trim());
    }
    requireMicros(value.getNano(), text);
    return formatTime(value);
  }

  private String timestamp(ValueKind kind, String text) throws InvalidValueException {
    Instant value;
    if (kind == ValueKind.INTEGER) {
      value = epochMicros(Long.parseLong(text));
    } else {
      requireText(kind, text);
      TemporalAccessor parsed = LENIENT_DATE_TIME.parse(text.trim());
      LocalDateTime local = LocalDateTime.from(parsed);
      int offset =
          parsed.isSupported(ChronoField.OFFSET_SECONDS)
              ? parsed.get(ChronoField.OFFSET_SECONDS)
              : 0; // A timestamp without an offset is read as UTC, as BigQuery does.
      value = local.toInstant(ZoneOffset.ofTotalSeconds(offset));
    }
    requireMicros(value.getNano(), text);
    LocalDateTime utc = LocalDateTime.ofInstant(value, ZoneOffset.UTC);
    return inRange(utc.toLocalDate(), text) + "T" + formatTime(utc.toLocalTime()) + "Z";
  }

  /** BigQuery's range for dates, and so for DATETIME and TIMESTAMP: years 1 to 9999. */
  private LocalDate inRange(LocalDate date, String text) throws InvalidValueException {
    if (date.getYear() < 1 || date.getYear() > 9999) {
      throw new InvalidValueException(
          "'" + abbreviate(text) + "' is outside the range of " + this + " (years 1 to 9999)");
    }
    return date;
  }

  /** {@code HH:mm:ss} with the fraction, when there is one, in microseconds without trailing zeros. */
  private static String formatTime(LocalTime t) {
    StringBuilder sb = new StringBuilder(15);
    two(sb, t.getHour()).append(':');
    two(sb, t.getMinute()).append(':');
    two(sb, t.getSecond());
    int micros = t.getNano() / 1000;
    if (micros != 0) {
      String f = Integer.toString(1_000_000 + micros).substring(1);
      int end = f.length();
      while (f.charAt(end - 1) == '0') {
        end--;
      }
      sb.append('.').append(f, 0, end);
    }
    return sb.toString();
  }

  private static StringBuilder two(StringBuilder sb, int v) {
    return sb.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
  }

  private static Instant epochMicros(long micros) {
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
  }

  private void requireMicros(int nanos, String text) throws InvalidValueException {
    if (nanos % 1000 != 0) {
      throw new InvalidValueException(
          "'" + abbreviate(text) + "' is more precise than the microseconds a " + this + " holds");
    }
  }

  private String json(ValueKind kind, String text) throws InvalidValueException {
    if (kind != ValueKind.TEXT) {
      return text;
    }
    // Text for a JSON column is JSON text: exactly one JSON value, kept in its compact form (as
    // Jackson writes it), so the same value reads the same from every source and warehouse.
    java.io.StringWriter out = new java.io.StringWriter(text.length());
    try (JsonParser p = JSON_FACTORY.createParser(text);
        com.fasterxml.jackson.core.JsonGenerator g = JSON_FACTORY.createGenerator(out)) {
      if (p.nextToken() == null) {
        throw invalid(text);
      }
      g.copyCurrentStructure(p);
      if (p.nextToken() != null) {
        throw invalid(text);
      }
    } catch (IOException e) {
      throw invalid(text);
    }
    return out.toString();
  }
}
