package io.replicator.pipelines;

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
}
