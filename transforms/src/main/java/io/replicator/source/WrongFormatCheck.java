package io.replicator.source;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Notices an input given with the wrong {@code --changeFormat}: when most of a file's first lines
 * are rejected and look like the other format (native change lines read as Debezium events, or
 * the reverse), the run stops with that diagnosis instead of writing every line to dead letters.
 * Only rejected lines are looked at, so a right input costs nothing. One per file (or range) read.
 */
final class WrongFormatCheck {
  /** The lines a decision is taken on: the first of a file, or all of a shorter one. */
  static final int SAMPLE = 1000;

  private final InputFormat format;
  private final String source;
  private long lines;
  private long otherFormat;
  private boolean decided;

  WrongFormatCheck(InputFormat format, String source) {
    this.format = format;
    this.source = source;
  }

  /** Counts a line read; {@code rejected} is the line when it was rejected, else null. */
  void line(String rejected) {
    if (decided) {
      return;
    }
    lines++;
    if (rejected != null && looksLikeOther(rejected)) {
      otherFormat++;
    }
    if (lines == SAMPLE) {
      decide();
    }
  }

  /** At the end of the input: decides on what was read when there were fewer than {@link #SAMPLE} lines. */
  void end() {
    if (!decided) {
      decide();
    }
  }

  private void decide() {
    decided = true;
    if (otherFormat > 0 && otherFormat * 2 > lines) {
      throw new WrongFormatException(String.format(Locale.ROOT,
          "%s: %,d of its first %,d lines are %s, not %s: give --changeFormat=%s (nothing was applied)", source,
          otherFormat, lines, other() == InputFormat.DEBEZIUM ? "Debezium events" : "native change lines",
          format == InputFormat.DEBEZIUM ? "Debezium events" : "native change lines",
          other().name().toLowerCase(Locale.ROOT)));
    }
  }

  private InputFormat other() {
    return format == InputFormat.DEBEZIUM ? InputFormat.NATIVE : InputFormat.DEBEZIUM;
  }

  /** Whether the line's top-level fields are those of the other change format. */
  private boolean looksLikeOther(String line) {
    Set<String> fields = topLevelFields(line);
    boolean nativeLine = fields.contains("_op") && fields.contains("_sequence_num");
    boolean debezium = fields.contains("payload") || (fields.contains("op")
        && (fields.contains("after") || fields.contains("before")) && fields.contains("source"));
    return format == InputFormat.DEBEZIUM ? nativeLine && !debezium : debezium && !nativeLine;
  }

  private static Set<String> topLevelFields(String line) {
    Set<String> fields = new HashSet<>();
    try (JsonParser p = JsonLines.open(line)) {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        return fields;
      }
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        fields.add(p.currentName());
        p.nextToken();
        p.skipChildren();
      }
    } catch (IOException | RejectedInputException e) {
      // Not JSON, or cut short: what was read so far decides.
    }
    return fields;
  }

  /** The run reads its input with the wrong format: it stops before anything is applied. */
  static final class WrongFormatException extends IllegalArgumentException {
    WrongFormatException(String message) {
      super(message);
    }
  }
}
