package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How jobs are submitted to a Flink session cluster. Shared by the pipelines. */
public interface FlinkClusterOptions extends PipelineOptions {
  @Description("The Flink cluster's class path already holds replicator-bundled.jar (in Flink's lib/ on every node, with"
      + " classloader.resolve-order: parent-first): submit each job without uploading the jar again (340 MB a job)."
      + " Only with --runner=FlinkRunner --flinkMaster=host:port.")
  @Default.Boolean(false)
  @TemplateParameter(label = "Bundled jar already on the Flink cluster", regexes = "^(true|false)$")
  Boolean getJarOnCluster();

  void setJarOnCluster(Boolean value);
}
