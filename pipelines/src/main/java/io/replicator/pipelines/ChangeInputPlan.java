package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;
import static io.replicator.pipelines.OptionChecks.lower;
import static io.replicator.pipelines.OptionChecks.require;

import io.replicator.source.InputFormat;

/**
 * The {@link ChangeInputOptions}, checked: where change events are (null when none are read), how
 * they are written, and the placeholder that marks a value the source could not see.
 */
record ChangeInputPlan(String changes, InputFormat format, String unavailableValue) {

  /** @param defaultFormat the format when {@code --changeFormat} is not given */
  static ChangeInputPlan from(ChangeInputOptions o, InputFormat defaultFormat) {
    InputFormat format = switch (lower(o.getChangeFormat())) {
      case "native" -> InputFormat.NATIVE;
      case "debezium" -> InputFormat.DEBEZIUM;
      case "dead-letters" -> InputFormat.DEAD_LETTERS;
      case "" -> defaultFormat;
      default -> throw new OptionsException("--changeFormat='" + o.getChangeFormat()
          + "': expected native, debezium or dead-letters");
    };
    String unavailableValue = require(o.getUnavailableValue(), "--unavailableValue", "the connector's placeholder");
    return new ChangeInputPlan(blankToNull(o.getChanges()), format, unavailableValue);
  }
}
