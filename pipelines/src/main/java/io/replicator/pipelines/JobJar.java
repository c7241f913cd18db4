package io.replicator.pipelines;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;

/**
 * What a job submitted to a Flink session cluster carries. By default the launcher uploads the
 * bundled jar (340 MB) with every job; with {@code --jarOnCluster} the cluster's own class path
 * already has it, and the job carries an empty jar instead (Flink attaches at least one to a job).
 */
final class JobJar {
  private JobJar() {}

  static void stageNothingWhenOnCluster(FlinkClusterOptions options) {
    if (!Boolean.TRUE.equals(options.getJarOnCluster())) {
      return;
    }
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    String master = flink.getFlinkMaster();
    if (options.getRunner() != FlinkRunner.class || master == null || master.startsWith("[")) {
      throw new OptionsException("--jarOnCluster=true is for a Flink session cluster: give it with"
          + " --runner=FlinkRunner --flinkMaster=host:port");
    }
    flink.setFilesToStage(List.of(emptyJar().toString()));
  }

  private static Path emptyJar() {
    try {
      Path jar = Files.createTempFile("replicator-job-", ".jar");
      jar.toFile().deleteOnExit();
      Manifest manifest = new Manifest();
      manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
      try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest)) {
        j.finish();
      }
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the empty job jar in the temporary directory", e);
    }
  }
}
