package io.replicator.source;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Test;

/**
 * The plain reader either declines a line or reads it exactly as the JSON parser does: over random
 * lines built from columns of every type (reserved-word and non-ASCII names among them), values in
 * and out of canonical form, escapes, control characters, placeholders, nested values, malformed
 * numbers and literals, whitespace, fields repeated or unknown, lines cut short or with text after
 * them, the snapshot decoder's result (the change, or the rejection and its reason) is the one its
 * parser alone gives.
 */
public class PlainJsonRowTest {
  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson("""
      [{"name":"id","type":"STRING","mode":"REQUIRED"},{"name":"d","type":"DATE","mode":"REQUIRED"},
       {"name":"n","type":"INT64"},{"name":"f","type":"FLOAT64"},{"name":"amount","type":"NUMERIC"},
       {"name":"big","type":"BIGNUMERIC"},{"name":"ok","type":"BOOL"},{"name":"at","type":"TIMESTAMP"},
       {"name":"local","type":"DATETIME"},{"name":"t","type":"TIME"},{"name":"raw","type":"BYTES"},
       {"name":"doc","type":"JSON"},{"name":"select","type":"STRING"},{"name":"größe","type":"INT64"}]""",
      List.of("id", "d"));

  private static final String[] NAMES = {"id", "d", "n", "f", "amount", "big", "ok", "at", "local", "t", "raw",
      "doc", "select", "größe", "ID", "Größe", "_meta", "unknown", "", "se\\u006cect", "i\"d", "i\td"};

  private static final String[] VALUES = {
      "\"001000\"", "\"\"", "\"한국 😀\"", "\"a,b:c}\"", "\"__debezium_unavailable_value\"", "\"x\\\"y\"",
      "\"tab\there\"", "\"\\u00e9\"", "\"2024-02-29\"", "\"2023-02-29\"", "\"0000-01-01\"", "\"12:30:00.5\"",
      "\"2024-01-01T10:00:00Z\"", "\"2024-01-01 10:00:00+02\"", "\"2024-01-01T10:00:00.1234567\"", "\"AQID\"",
      "\"AQ=D\"", "\"3550.3100\"", "\"1e3\"", "\"NaN\"", "\"true\"", "\"{\\\"a\\\":1}\"", "\"\u2028\"", "\"\uFFFD\"",
      "0", "-0", "01", "1.0", "1.50", "1e5", "1E-2", "-", "1.", ".5", "-.5", "+1", "123456789012345678",
      "12345678901234567890", "3550.31", "3550.3100", "-3550.00", "0.000000001", "0.0000000001", "18",
      "1" + "0".repeat(120), "9.999999999999999e307", "1e400", "true", "false", "null", "TRUE", "nul", "nullx",
      "{\"a\":1}", "{\"a\":1,\"a\":2}", "[1,2]", "[]", "{}", "[\"__debezium_unavailable_value\"]", "\"unterminated"};

  /** Values each column of {@link #NAMES} takes (in and out of canonical form), in its order. */
  private static final String[][] GOOD = {
      {"\"k1\"", "\"한국\""}, {"\"2024-01-01\"", "19000"}, {"472", "-0", "1.0", "\"12\"", "1e2"},
      {"3555.87", "4685.280000000001", "-0.5", "1e-3", "\"NaN\"", "12"}, {"\"3550.3100\"", "3550.31", "\"0.10\"", "7"},
      {"\"1.5\"", "-2"}, {"true", "false", "\"yes\"", "1"}, {"\"2024-01-01T10:00:00Z\"", "1700000000000000"},
      {"\"2024-01-01 10:00:00\"", "1700000000000000"}, {"\"10:00:00.250\"", "36000000000"}, {"\"AQID\""},
      {"\"{\\\"a\\\": [1, 2]}\"", "12", "true"}, {"\"S&P\"", "\"\""}, {"-3", "\"4\""}};

  @Test
  public void aLineIsDeclinedOrReadAsTheParserReadsIt() throws Exception {
    Random random = new Random(20261203);
    assertSnapshotLinesReadAsTheParserReads(() -> randomLine(random), 10);
  }

  private void assertSnapshotLinesReadAsTheParserReads(java.util.function.Supplier<String> lines, int acceptedOneIn) {
    SnapshotJsonDecoder plain = new SnapshotJsonDecoder("t", SCHEMA, Sequence.of(7));
    SnapshotJsonDecoder parsed = new SnapshotJsonDecoder("t", SCHEMA, Sequence.of(7));
    assertReadAsTheParserReads(lines, plain::decode, parsed::decodeParsed, plain::plainLines, acceptedOneIn);
  }

  /**
   * Whole rows as an export writes them, every column in schema order (so each name is the one the
   * last row had at its position, which the reader takes without looking it up), now and then one
   * column's value rewritten, null or bad, two columns swapped or one left out, or a name given in
   * another case.
   */
  @Test
  public void aWholeRowInSchemaOrderIsReadAsTheParserReadsIt() throws Exception {
    Random random = new Random(20261205);
    assertSnapshotLinesReadAsTheParserReads(() -> wholeRow(random), 2);
  }

  /** Canonical values of each column of the schema, in its order. */
  private static final String[][] CANONICAL = {
      {"\"k1\"", "\"한국 😀\""}, {"\"2024-01-01\""}, {"472", "-3"}, {"3555.87", "4685.280000000001"},
      {"\"3550.31\"", "\"7\""}, {"\"1.5\""}, {"true", "false"}, {"\"2024-01-01T10:00:00Z\""},
      {"\"2024-01-01T10:00:00\""}, {"\"10:00:00.25\""}, {"\"AQID\""}, {"12", "true", "{}"},
      {"\"S&P\"", "\"\"", "\"a\u2028b\""}, {"-3", "0"}};

  private static String wholeRow(Random random) {
    List<String> fields = new ArrayList<>();
    for (int column = 0; column < CANONICAL.length; column++) {
      String value = switch (random.nextInt(12)) {
        case 0 -> pick(random, GOOD[column]);
        case 1 -> random.nextInt(4) == 0 ? pick(random, VALUES) : "null";
        default -> pick(random, CANONICAL[column]);
      };
      String name = random.nextInt(40) == 0 ? NAMES[column].toUpperCase(java.util.Locale.ROOT) : NAMES[column];
      fields.add("\"" + name + "\":" + value);
    }
    switch (random.nextInt(10)) {
      case 0 -> java.util.Collections.swap(fields, random.nextInt(fields.size() - 1), fields.size() - 1);
      case 1 -> fields.remove(2 + random.nextInt(fields.size() - 2));
      default -> { }
    }
    return "{" + String.join(",", fields) + "}";
  }

  /** Metadata fields of native change lines, with values well and badly formed. */
  private static final String[][] METADATA = {
      {"_op", "\"INSERT\"", "\"UPDATE\"", "\"DELETE\"", "\" update \"", "\"upsert\"", "null", "1", "true", "[\"INSERT\"]"},
      {"_sequence_num", "17", "\"18\"", "\" 19 \"", "-0", "1.5", "9223372036854775807", "9223372036854775808", "null",
          "\"x\"", "1e3"},
      {"_before_id", "\"k1\"", "\"k2\"", "null", "3", "\"a\\\"b\""},
      {"_before_d", "\"2024-01-01\"", "\"2024-01-02\"", "19000", "\"2024-13-01\""},
      {"_before_ID", "\"k1\""}, {"_before_n", "5", "{\"x\":1}"}, {"_before_nothing", "1"},
      {"_unchanged", "[\"amount\"]", "[]", "\"amount\""}, {"_batch_id", "\"b\"", "[1]"}, {"_OP", "\"DELETE\""}};

  /** The same for native change lines: their metadata (_op, _sequence_num, _before_ keys, _unchanged, others) among the columns. */
  @Test
  public void aChangeLineIsDeclinedOrReadAsTheParserReadsIt() throws Exception {
    Random random = new Random(20261204);
    NativeChangeDecoder plain = new NativeChangeDecoder("t", SCHEMA).passingKeyMoves();
    NativeChangeDecoder parsed = new NativeChangeDecoder("t", SCHEMA).passingKeyMoves();
    assertReadAsTheParserReads(() -> randomChangeLine(random), plain::decode, parsed::decodeParsed, plain::plainLines, 50);
  }

  /** A row of {@link #randomLine} with metadata fields added: mostly _op and _sequence_num, well formed. */
  private static String randomChangeLine(Random random) {
    String row = randomLine(random);
    StringBuilder line = new StringBuilder(row.endsWith("}") ? row.substring(0, row.length() - 1) : row);
    List<String[]> fields = new ArrayList<>();
    for (int m = 0; m < 2; m++) {
      if (random.nextInt(6) > 0) {
        fields.add(METADATA[m]);
      }
    }
    for (int m = random.nextInt(4); m > 0; m--) {
      fields.add(METADATA[random.nextInt(METADATA.length)]);
    }
    for (String[] field : fields) {
      int good = field[0].equals("_op") ? 3 : field[0].equals("_unchanged") ? 1 : 2;
      line.append(line.length() > 1 ? "," : "").append('"').append(field[0]).append("\":")
          .append(field[1 + random.nextInt(random.nextInt(4) > 0 ? Math.min(good, field.length - 1) : field.length - 1)]);
    }
    return line.append(row.endsWith("}") ? "}" : "").toString();
  }

  /**
   * Decodes 60,000 lines of {@code lines} with the plain reader first and with the parser alone: the
   * same change or rejection each time; at least one line in {@code acceptedOneIn} accepted, most
   * of those by the plain reader, and a quarter of all declined by it.
   */
  private void assertReadAsTheParserReads(java.util.function.Supplier<String> lines, LineDecoder plain,
      LineDecoder parsed, java.util.function.LongSupplier plainLines, int acceptedOneIn) {
    int accepted = 0;
    int count = 60_000;
    for (int k = 0; k < count; k++) {
      String line = lines.get();
      String expected = outcome(() -> parsed.decode(line, out()));
      assertEquals(line, expected, outcome(() -> plain.decode(line, out())));
      accepted += expected.startsWith("row ") ? 1 : 0;
    }
    long taken = plainLines.getAsLong();
    assertTrue("plain " + taken + " of " + accepted + " accepted", taken > accepted / 2 && accepted > count / acceptedOneIn);
    assertTrue("declined " + (count - taken), count - taken > count / 4);
  }

  private interface LineDecoder {
    int decode(String line, java.util.function.Consumer<Change> out) throws RejectedInputException;
  }

  @Test
  public void takesCanonicalAndRewrittenValuesAndDeclinesWhatNeedsTheParser() throws Exception {
    RowReader row = new RowReader(SCHEMA).withUnavailableValue(DebeziumChangeDecoder.DEFAULT_UNAVAILABLE_VALUE);
    PlainJsonRow reader = new PlainJsonRow();
    String plain = "{\"id\":\"001000\",\"d\":\"1990-01-01\",\"f\":3555.87,\"n\":472,\"amount\":\"3550.3100\","
        + "\"select\":\"S&P 한국\",\"größe\":-3,\"ok\":true,\"doc\":null}";
    row.reset();
    assertTrue(reader.read(plain, row, null));
    assertEquals("[\"001000\",\"1990-01-01\"]", row.key());
    assertEquals("\"id\":\"001000\",\"d\":\"1990-01-01\",\"n\":472,\"f\":3555.87,\"amount\":\"3550.31\","
        + "\"ok\":true,\"select\":\"S&P 한국\",\"größe\":-3", row.rowJson());
    for (String declined : List.of(
        "{\"id\":\"a\\\"b\",\"d\":\"1990-01-01\"}", // an escape
        "{\"id\":\"a\", \"d\":\"1990-01-01\"}", // whitespace
        "{\"id\":\"a\",\"d\":\"1990-01-01\"} ", // text after the object
        "{\"id\":\"a\",\"d\":\"1990-01-01\",\"doc\":{\"k\":1}}", // a nested value
        "{\"id\":\"a\",\"d\":\"1990-01-01\",\"_op\":\"r\"}", // metadata
        "{\"id\":\"a\",\"d\":\"1990-01-01\",\"id\":\"b\"}", // a column twice
        "{\"id\":\"a\",\"d\":\"1990-02-30\"}", // a value the reader refuses
        "{\"id\":\"a\",\"d\":\"1990-01-01\",\"n\":01}", // not JSON
        "{\"id\":\"a\",\"d\":\"1990-01-01\",\"n\":" + "1".repeat(101) + "}")) {
      row.reset();
      assertFalse(declined, reader.read(declined, row, null));
    }
  }

  private interface Decode {
    int run() throws RejectedInputException;
  }

  private final List<Change> decoded = new ArrayList<>();

  private java.util.function.Consumer<Change> out() {
    decoded.clear();
    return decoded::add;
  }

  private String outcome(Decode decode) {
    try {
      decode.run();
      return "row " + decoded;
    } catch (RejectedInputException e) {
      return "rejected: " + e.getMessage();
    }
  }

  /** Mostly well-formed rows (the required columns first, others in any order), with every kind of damage now and then. */
  private static String randomLine(Random random) {
    StringBuilder sb = new StringBuilder("{");
    List<String> fields = new ArrayList<>();
    if (random.nextInt(4) > 0) {
      fields.add(field(random, "id", random.nextInt(3) > 0 ? "\"k" + random.nextInt(50) + "\"" : pick(random, VALUES)));
      fields.add(field(random, "d", random.nextInt(3) > 0 ? "\"2024-01-0" + (1 + random.nextInt(9)) + "\""
          : pick(random, VALUES)));
    }
    for (int i = random.nextInt(8); i > 0; i--) {
      int column = random.nextInt(GOOD.length);
      fields.add(random.nextInt(3) > 0 ? field(random, NAMES[column], pick(random, GOOD[column]))
          : field(random, pick(random, NAMES), pick(random, VALUES)));
    }
    java.util.Collections.shuffle(fields, random);
    for (int i = 0; i < fields.size(); i++) {
      sb.append(i > 0 ? (random.nextInt(30) == 0 ? " ," : ",") : "").append(fields.get(i));
    }
    sb.append('}');
    String line = sb.toString();
    return switch (random.nextInt(40)) {
      case 0 -> line.substring(0, random.nextInt(line.length()));
      case 1 -> line + pick(random, new String[] {" ", "\r", "x", "}", ",", "{}"});
      case 2 -> pick(random, new String[] {" ", "\uFEFF", "[", ""}) + line;
      default -> line;
    };
  }

  private static String field(Random random, String name, String value) {
    return "\"" + name + "\"" + (random.nextInt(30) == 0 ? " : " : ":") + value;
  }

  private static String pick(Random random, String[] from) {
    return from[random.nextInt(from.length)];
  }
}
