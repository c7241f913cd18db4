package io.replicator.change;

/**
 * A value in the one textual form the staging files and the key identity use for its type, so
 * that {@code "42"} from a CSV snapshot and {@code 42} from a JSON change name the same key.
 *
 * <p>Mutable and reused by a decoder for every value of a row: decoding allocates no holder per
 * value.
 */
public final class CanonicalValue {
  /** How the text is written to JSON. */
  public enum Form {
    STRING,
    NUMBER,
    BOOLEAN,
    /** Already JSON text (a JSON column's value). */
    RAW_JSON
  }

  private String text;
  private Form form;

  public void set(String text, Form form) {
    this.text = text;
    this.form = form;
  }

  public String text() {
    return text;
  }

  public Form form() {
    return form;
  }

  /** Appends the value as a JSON value. */
  public void appendTo(StringBuilder out) {
    appendJson(out, text, form);
  }

  /** Appends {@code text} in {@code form} as a JSON value. */
  public static void appendJson(StringBuilder out, String text, Form form) {
    if (form == Form.STRING) {
      Json.appendString(out, text);
    } else {
      out.append(text);
    }
  }
}
