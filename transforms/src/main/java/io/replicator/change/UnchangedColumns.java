package io.replicator.change;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.StringJoiner;
import java.util.TreeSet;

/**
 * Partial rows: the columns a change leaves as they are, written as a JSON array of their names in
 * name order (one text per set, so equal sets are equal strings).
 */
public final class UnchangedColumns {
  private static final JsonFactory JSON = new JsonFactory();

  private UnchangedColumns() {}

  /** The canonical text of a set of column names; null for none (a change that sets them all). */
  public static String json(Collection<String> names) {
    if (names.isEmpty()) {
      return null;
    }
    StringJoiner j = new StringJoiner(",", "[", "]");
    new TreeSet<>(names).forEach(n -> j.add(Json.quote(n)));
    return j.toString();
  }

  /** The names of {@link #json}'s text. */
  public static List<String> parse(String json) {
    List<String> names = new ArrayList<>();
    if (json == null) {
      return names;
    }
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new IllegalArgumentException("unchanged columns must be a JSON array of names: " + json);
      }
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
        if (t != JsonToken.VALUE_STRING) {
          throw new IllegalArgumentException("unchanged columns must be a JSON array of names: " + json);
        }
        names.add(p.getText());
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("unchanged columns must be a JSON array of names: " + json, e);
    }
    return names;
  }
}
