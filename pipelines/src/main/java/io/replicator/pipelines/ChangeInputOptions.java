package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Change events read from files. */
public interface ChangeInputOptions extends PipelineOptions {
  @Description("File pattern of change events (local, gs:// or s3://; .gz and other compressions are read).")
  @TemplateParameter(label = "Change files")
  String getChanges();

  void setChanges(String value);

  @Description("Format of the change events: native (columns plus _op, _sequence_num, _before_<key>) or debezium;"
      + " or dead-letters to read the dead letters of earlier runs again, each in its own format (once the schema"
      + " or data is fixed). Default: native, and debezium for --streaming.")
  @TemplateParameter(label = "Change format", regexes = "^(native|debezium|dead-letters)$")
  String getChangeFormat();

  void setChangeFormat(String value);

  @Description("Debezium events: the connector's placeholder for a value it could not see (its"
      + " unavailable.value.placeholder; PostgreSQL writes it for a TOASTed column an UPDATE did not touch). Such a"
      + " column is left as the target has it, never written as the placeholder.")
  @Default.String("__debezium_unavailable_value")
  @TemplateParameter(label = "Unavailable-value placeholder")
  String getUnavailableValue();

  void setUnavailableValue(String value);
}
