package io.replicator.change;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Random;
import org.junit.Test;

public class ColumnTypeTest {
  private static String canon(ColumnType t, ValueKind kind, String text) throws InvalidValueException {
    CanonicalValue v = new CanonicalValue();
    t.canonicalize(kind, text, v);
    StringBuilder sb = new StringBuilder();
    v.appendTo(sb);
    return sb.toString();
  }

  private static String reject(ColumnType t, ValueKind kind, String text) {
    return assertThrows(InvalidValueException.class, () -> canon(t, kind, text)).getMessage();
  }

  @Test
  public void parsesLegacyAndStandardNames() {
    assertEquals(ColumnType.INT64, ColumnType.parse("INTEGER"));
    assertEquals(ColumnType.INT64, ColumnType.parse("int64"));
    assertEquals(ColumnType.FLOAT64, ColumnType.parse("FLOAT"));
    assertEquals(ColumnType.BOOL, ColumnType.parse("BOOLEAN"));
    assertEquals(ColumnType.NUMERIC, ColumnType.parse("DECIMAL"));
    assertEquals(ColumnType.BIGNUMERIC, ColumnType.parse("BIGDECIMAL"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ColumnType.parse("GEOGRAPHY"))
        .getMessage().contains("unsupported column type 'GEOGRAPHY'"));
  }

  @Test
  public void integersFromNumbersAndText() throws Exception {
    assertEquals("42", canon(ColumnType.INT64, ValueKind.INTEGER, "42"));
    assertEquals("42", canon(ColumnType.INT64, ValueKind.TEXT, " 42 "));
    assertEquals("-9223372036854775808", canon(ColumnType.INT64, ValueKind.TEXT, "-9223372036854775808"));
    assertEquals("1000", canon(ColumnType.INT64, ValueKind.DECIMAL, "1e3"));
    assertEquals("1", canon(ColumnType.INT64, ValueKind.DECIMAL, "1.0"));
    assertTrue(reject(ColumnType.INT64, ValueKind.DECIMAL, "1.5").contains("not a valid INT64"));
    assertTrue(reject(ColumnType.INT64, ValueKind.TEXT, "9223372036854775808").contains("out of range"));
    assertTrue(reject(ColumnType.INT64, ValueKind.TEXT, "abc").contains("'abc' is not a valid INT64"));
    reject(ColumnType.INT64, ValueKind.BOOLEAN, "true");
  }

  @Test
  public void floats() throws Exception {
    assertEquals("1.50", canon(ColumnType.FLOAT64, ValueKind.DECIMAL, "1.50"));
    assertEquals("1.5", canon(ColumnType.FLOAT64, ValueKind.TEXT, "1.50"));
    assertEquals("\"NaN\"", canon(ColumnType.FLOAT64, ValueKind.TEXT, "NaN"));
    assertEquals("\"-Infinity\"", canon(ColumnType.FLOAT64, ValueKind.TEXT, "-inf"));
    reject(ColumnType.FLOAT64, ValueKind.DECIMAL, "1e999");
  }

  @Test
  public void decimalsAreExactStrings() throws Exception {
    assertEquals("\"12.5\"", canon(ColumnType.NUMERIC, ValueKind.DECIMAL, "12.500"));
    assertEquals("\"0\"", canon(ColumnType.NUMERIC, ValueKind.TEXT, "0.000"));
    assertEquals("\"100\"", canon(ColumnType.NUMERIC, ValueKind.DECIMAL, "1E+2"));
    assertEquals("\"99999999999999999999999999999.999999999\"",
        canon(ColumnType.NUMERIC, ValueKind.TEXT, "99999999999999999999999999999.999999999"));
    assertTrue(reject(ColumnType.NUMERIC, ValueKind.TEXT, "0.0000000001").contains("more than 9 digits"));
    assertTrue(reject(ColumnType.NUMERIC, ValueKind.TEXT, "100000000000000000000000000000").contains("out of range"));
    assertEquals("\"0.00000000000000000000000000000000000001\"",
        canon(ColumnType.BIGNUMERIC, ValueKind.TEXT, "1e-38"));
  }

  @Test
  public void booleans() throws Exception {
    assertEquals("true", canon(ColumnType.BOOL, ValueKind.BOOLEAN, "true"));
    assertEquals("false", canon(ColumnType.BOOL, ValueKind.TEXT, "FALSE"));
    assertEquals("true", canon(ColumnType.BOOL, ValueKind.INTEGER, "1"));
    reject(ColumnType.BOOL, ValueKind.TEXT, "maybe");
  }

  @Test
  public void datesAndTimes() throws Exception {
    assertEquals("\"2024-02-29\"", canon(ColumnType.DATE, ValueKind.TEXT, "2024-02-29"));
    assertEquals("\"1970-01-11\"", canon(ColumnType.DATE, ValueKind.INTEGER, "10"));
    reject(ColumnType.DATE, ValueKind.TEXT, "2023-02-29");
    reject(ColumnType.DATE, ValueKind.TEXT, "2023-00-10");
    reject(ColumnType.DATE, ValueKind.TEXT, "0000-01-10");
    reject(ColumnType.DATE, ValueKind.TEXT, "2023-1-10");
    assertEquals("\"2024-01-02\"", canon(ColumnType.DATE, ValueKind.TEXT, " 2024-01-02"));
    assertTrue(reject(ColumnType.DATE, ValueKind.INTEGER, "3000000").contains("years 1 to 9999"));

    assertEquals("\"2024-01-02T03:04:00\"", canon(ColumnType.DATETIME, ValueKind.TEXT, "2024-01-02 03:04"));
    assertEquals("\"2024-01-02T03:04:05.12\"", canon(ColumnType.DATETIME, ValueKind.TEXT, "2024-01-02T03:04:05.120"));
    assertTrue(reject(ColumnType.DATETIME, ValueKind.TEXT, "2024-01-02T03:04:05+02:00").contains("time zone offset"));
    assertTrue(reject(ColumnType.DATETIME, ValueKind.TEXT, "2024-01-02T03:04:05.1234567").contains("microseconds"));

    assertEquals("\"12:00:00\"", canon(ColumnType.TIME, ValueKind.TEXT, "12:00"));
    assertEquals("\"00:00:01.000001\"", canon(ColumnType.TIME, ValueKind.INTEGER, "1000001"));

    assertEquals("\"2024-01-02T01:04:05Z\"", canon(ColumnType.TIMESTAMP, ValueKind.TEXT, "2024-01-02 03:04:05+02"));
    assertEquals("\"2024-01-02T03:04:05.5Z\"", canon(ColumnType.TIMESTAMP, ValueKind.TEXT, "2024-01-02T03:04:05.5Z"));
    assertEquals("\"2024-01-02T03:04:05Z\"", canon(ColumnType.TIMESTAMP, ValueKind.TEXT, "2024-01-02T03:04:05"));
    assertEquals("\"1970-01-01T00:00:01.000002Z\"", canon(ColumnType.TIMESTAMP, ValueKind.INTEGER, "1000002"));
    assertEquals("\"1969-12-31T23:59:59.999999Z\"", canon(ColumnType.TIMESTAMP, ValueKind.INTEGER, "-1"));
    reject(ColumnType.TIMESTAMP, ValueKind.TEXT, "yesterday");
  }

  @Test
  public void bytesAreBase64() throws Exception {
    assertEquals("\"AAEC\"", canon(ColumnType.BYTES, ValueKind.TEXT, "AAEC"));
    reject(ColumnType.BYTES, ValueKind.TEXT, "not base64!");
    reject(ColumnType.BYTES, ValueKind.INTEGER, "12");
  }

  @Test
  public void jsonTextMustBeOneJsonValue() throws Exception {
    assertEquals("{\"a\":[1,2]}", canon(ColumnType.JSON, ValueKind.TEXT, "{\"a\":[1,2]}"));
    reject(ColumnType.JSON, ValueKind.TEXT, "{\"a\":");
    reject(ColumnType.JSON, ValueKind.TEXT, "1 2");
  }

  @Test
  public void stringsKeepEverythingAndEscapeForJson() throws Exception {
    assertEquals("\"탭\\t\\\"따옴표\\\" \\\\ \\n\\u0001\"", canon(ColumnType.STRING, ValueKind.TEXT, "탭\t\"따옴표\" \\ \n\u0001"));
    assertEquals("\"12.50\"", canon(ColumnType.STRING, ValueKind.DECIMAL, "12.50"));
  }

  @Test
  public void longValuesAreAbbreviatedInMessages() {
    String msg = reject(ColumnType.INT64, ValueKind.TEXT, "x".repeat(500));
    assertTrue(msg, msg.length() < 120);
  }

  /**
   * Numbers already in canonical form are kept as their text instead of being converted: for every
   * number-like text (signs, leading and trailing zeros, exponents, spaces, points, digits beyond
   * the type's, non-ASCII digits) the result is the full conversion's, or both refuse.
   */
  @Test
  public void canonicalNumbersKeptAsTheyAreConvertAsEveryOtherNumber() throws Exception {
    Random random = new Random(20261203);
    String[] pieces = {"0", "1", "5", "9", "00", "10", "000000000", "999999999", "-", "+", ".", "e", "E", " ", "\u0663"};
    int kept = 0;
    for (int n = 0; n < 40_000; n++) {
      StringBuilder sb = new StringBuilder();
      for (int k = random.nextInt(8); k >= 0; k--) {
        sb.append(pieces[random.nextInt(pieces.length)]);
      }
      String text = sb.toString();
      for (ValueKind kind : new ValueKind[] {ValueKind.TEXT, ValueKind.INTEGER, ValueKind.DECIMAL}) {
        kept += sameAsFullConversion(ColumnType.NUMERIC, kind, text, () -> ColumnType.NUMERIC.exactDecimal(text, 29, 9));
        kept += sameAsFullConversion(ColumnType.BIGNUMERIC, kind, text, () -> ColumnType.BIGNUMERIC.exactDecimal(text, 38, 38));
        kept += sameAsFullConversion(ColumnType.INT64, kind, text, () -> ColumnType.INT64.exactLong(kind, text));
        if (kind != ValueKind.TEXT) {
          kept += sameAsFullConversion(ColumnType.FLOAT64, kind, text, () -> ColumnType.FLOAT64.exactFloat64(kind, text));
        }
      }
    }
    assertTrue("canonical texts seen: " + kept, kept > 10_000);
    // Edges the random texts may miss: 18 and 19 digits, the types' digit bounds, zeros ending a fraction, a long plain number.
    for (String text : new String[] {"999999999999999999", "-999999999999999999", "1000000000000000000", "-0", "0",
        "-0.5", "0.000000001", "0.0000000001", "99999999999999999999999999999.999999999",
        "100000000000000000000000000000", "3550.3100", "-0.00", "100.00", "0.10", "5.", "-12.0", "0.0000000010",
        "99999999999999999999999999999.9999999990", "1" + "0".repeat(298), "1" + "0".repeat(299), "1" + "0".repeat(400)}) {
      for (ValueKind kind : new ValueKind[] {ValueKind.TEXT, ValueKind.INTEGER, ValueKind.DECIMAL}) {
        sameAsFullConversion(ColumnType.NUMERIC, kind, text, () -> ColumnType.NUMERIC.exactDecimal(text, 29, 9));
        sameAsFullConversion(ColumnType.INT64, kind, text, () -> ColumnType.INT64.exactLong(kind, text));
      }
    }
    reject(ColumnType.FLOAT64, ValueKind.DECIMAL, "1" + "0".repeat(400));
  }

  private interface Conversion {
    String convert() throws Exception;
  }

  /** 1 when {@code text} converted to what it was (kept as it is), else 0; fails when the results differ. */
  private static int sameAsFullConversion(ColumnType type, ValueKind kind, String text, Conversion full) {
    String expected;
    try {
      expected = full.convert();
    } catch (Exception e) {
      expected = null;
    }
    String actual;
    try {
      CanonicalValue v = new CanonicalValue();
      type.canonicalize(kind, text, v);
      actual = v.text();
    } catch (InvalidValueException e) {
      actual = null;
    }
    assertEquals(type + " " + kind + " '" + text + "'", expected, actual);
    return actual != null && actual.equals(text) ? 1 : 0;
  }
}
