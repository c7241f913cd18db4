package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/** Where batches are staged and rejected input goes, and how large batches are. */
public interface StagingOptions extends PipelineOptions {
  @Description("Directory for staged JSONL batches (any Beam filesystem path; local for DuckDB).")
  @Validation.Required
  @TemplateParameter(label = "Staging directory", type = "GCS_WRITE_FOLDER")
  String getStaging();

  void setStaging(String value);

  @Description("Directory for dead letters (rejected input, as JSONL). Default: <staging>/dead-letters.")
  @TemplateParameter(label = "Dead-letter directory", type = "GCS_WRITE_FOLDER")
  String getDeadLetter();

  void setDeadLetter(String value);

  @Description("Largest staged batch, e.g. 256MB, 64KB, 1GB (powers of 1024).")
  @Default.String("256MB")
  @TemplateParameter(label = "Largest batch", regexes = "^[0-9]+(\\.[0-9]+)?\\s*([KMGTkmgt]([iI]?[bB])?)?$")
  String getBatchMaxBytes();

  void setBatchMaxBytes(String value);

  @Description("Most rows in one staged batch.")
  @Default.Long(5_000_000L)
  @TemplateParameter(label = "Most rows per batch", regexes = "^[1-9][0-9]*$")
  Long getBatchMaxRows();

  void setBatchMaxRows(Long value);

  @Description("Keep staged batch files after they are merged.")
  @Default.Boolean(false)
  @TemplateParameter(label = "Keep staged files", regexes = "^(true|false)$")
  Boolean getKeepStaging();

  void setKeepStaging(Boolean value);

  @Description("Stage snapshot files into DuckDB as they are read, each range of input a staged file, keys held more "
      + "than once resolved afterwards (the default, and faster); false cuts them into batches of whole keys first, "
      + "as every other input is. Both give the same target and dead letters.")
  @Default.Boolean(true)
  @TemplateParameter(label = "Stage snapshot files as read", regexes = "^(true|false)$")
  Boolean getStageSnapshotAsRead();

  void setStageSnapshotAsRead(Boolean value);
}
