package io.replicator.pipelines;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** A bound on how fast a pipeline moves data, across all its workers. Shared by the pipelines. */
public interface ThroughputOptions extends PipelineOptions {
  @Description("Most data per unit of time across all workers, e.g. 1GB/h, 20MB/s, 500KB/min (powers of 1024)."
      + " For a database read (a batch run's, or a --slot stream's first read of each table) it bounds how fast"
      + " rows are read from the source. Default: no bound.")
  @TemplateParameter(label = "Throughput bound",
      regexes = "^[0-9]+(\\.[0-9]+)?\\s*([KMGTkmgt]([iI]?[bB])?)?\\s*/\\s*(s|sec|second|m|min|minute|h|hour|d|day)$")
  String getMaxThroughput();

  void setMaxThroughput(String value);
}
