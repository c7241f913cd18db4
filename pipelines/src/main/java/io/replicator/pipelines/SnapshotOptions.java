package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** A snapshot (files, or a database table with {@link JdbcSourceOptions}) and how it is applied. */
public interface SnapshotOptions extends PipelineOptions {
  @Description("File pattern of snapshot rows.")
  @TemplateParameter(label = "Snapshot files")
  String getSnapshot();

  void setSnapshot(String value);

  @Description("Format of the snapshot rows: jsonl (one JSON object per line) or csv (with a header line).")
  @Default.String("jsonl")
  @TemplateParameter(label = "Snapshot format", regexes = "^(jsonl|json|csv)$")
  String getSnapshotFormat();

  void setSnapshotFormat(String value);

  @Description("The _sequence_num every snapshot row gets. Default: one above the highest in the target"
      + " (a re-run of an unfinished reload of the same files takes the sequence it started with).")
  @TemplateParameter(label = "Snapshot sequence number", regexes = "^[0-9]+$")
  Long getSnapshotSequence();

  void setSnapshotSequence(Long value);

  @Description("merge: snapshot rows are merged into the table. replace: a full-table reload; rows older"
      + " than the reload that it does not contain are removed.")
  @Default.String("merge")
  @TemplateParameter(label = "Snapshot mode", regexes = "^(merge|replace)$")
  String getSnapshotMode();

  void setSnapshotMode(String value);

  @Description("A reload (--snapshotMode=replace) that would remove more than this percent of the live"
      + " rows stops with an error and applies nothing: the table is left as it was.")
  @Default.Double(50)
  @TemplateParameter(label = "Largest share a reload may delete (%)",
      regexes = "^(100(\\.0+)?|[0-9]{1,2}(\\.[0-9]+)?)$")
  Double getMaxReloadDeletePercent();

  void setMaxReloadDeletePercent(Double value);

  @Description("After the run, compare the snapshot's source with the target: row counts and fingerprints"
      + " per group of keys, the keys that differ in a report under --staging. Exit code 3 when they differ.")
  @Default.Boolean(false)
  @TemplateParameter(label = "Verify after the run", regexes = "^(true|false)$")
  Boolean getVerify();

  void setVerify(Boolean value);
}
