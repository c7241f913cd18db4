package io.replicator.pipelines;

import org.apache.beam.runners.dataflow.DataflowPipelineJob;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * How a run is launched: whether this process waits for the job (and so can hold resources for it
 * and print its summary), and what to say about a job it does not wait for.
 */
final class Launch {
  /** Set by Google's Flex Template launcher image: the launcher must submit the job and exit. */
  static final String FLEX_TEMPLATE_ENV = "FLEX_TEMPLATE_JAVA_MAIN_CLASS";

  private Launch() {}

  static boolean onDataflow(PipelineOptions options) {
    return options.getRunner().getSimpleName().equals("DataflowRunner");
  }

  /**
   * Whether the process waits for the job: always on the local runners; on Dataflow unless it
   * runs as a Flex Template launcher or only writes a classic template.
   */
  static boolean waits(PipelineOptions options) {
    if (!onDataflow(options)) {
      return true;
    }
    return System.getenv(FLEX_TEMPLATE_ENV) == null
        && options.as(DataflowPipelineOptions.class).getTemplateLocation() == null;
  }

  /** One line about a job this process does not wait for. */
  static String describe(String pipeline, String table, PipelineResult result, PipelineOptions options) {
    DataflowPipelineOptions df = options.as(DataflowPipelineOptions.class);
    if (df.getTemplateLocation() != null) {
      return pipeline + " " + table + ": template written to " + df.getTemplateLocation();
    }
    if (result instanceof DataflowPipelineJob job) {
      return pipeline + " " + table + ": launched Dataflow job " + job.getJobId()
          + " https://console.cloud.google.com/dataflow/jobs/" + df.getRegion() + "/" + job.getJobId()
          + "?project=" + df.getProject();
    }
    return pipeline + " " + table + ": launched (" + result.getState() + ")";
  }
}
