package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Changes read from a PostgreSQL logical replication slot, with nothing between the database and the run. */
public interface ReplicationSlotOptions extends PipelineOptions {
  @Description("A logical replication slot (pgoutput) of the --jdbcUrl database to read --jdbcTable's changes from;"
      + " made when missing. The first run reads the whole table, every run then applies the changes committed"
      + " since the last one, and the slot is confirmed only once they are merged.")
  @TemplateParameter(label = "Replication slot", regexes = "^[a-z0-9_]{1,63}$")
  String getSlot();

  void setSlot(String value);

  @Description("The publication the slot decodes; made for --jdbcTable when missing. Default: the slot's name.")
  @TemplateParameter(label = "Publication", regexes = "^[a-z0-9_]{1,63}$")
  String getPublication();

  void setPublication(String value);

  @Description("Warn when the slot holds more WAL than this on the source's disk (it keeps all WAL from its"
      + " oldest unconfirmed change; a slot that falls behind fills the disk), e.g. 1GB, 500MB.")
  @Default.String("1GB")
  @TemplateParameter(label = "Slot lag warning", regexes = "^[0-9]+(\\.[0-9]+)?\\s*([KMGTkmgt]([iI]?[bB])?)?$")
  String getMaxSlotLag();

  void setMaxSlotLag(String value);

  @Description("Drop the replication slot when the run ends (for trials: the next run reads the tables whole again).")
  @Default.Boolean(false)
  @TemplateParameter(label = "Drop the slot on exit", regexes = "^(true|false)$")
  Boolean getDropSlotOnExit();

  void setDropSlotOnExit(Boolean value);

  @Description("Read the tables new to the slot as steps of the job that follows it, which reads the slot only once"
      + " they are applied, instead of in batch runs this process makes and waits for first. Always so when the"
      + " launcher does not wait for jobs (a Flex Template's).")
  @Default.Boolean(false)
  @TemplateParameter(label = "First reads in the job", regexes = "^(true|false)$")
  Boolean getFirstReadsInJob();

  void setFirstReadsInJob(Boolean value);
}
