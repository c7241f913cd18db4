package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.apache.beam.sdk.extensions.gcp.options.GcpOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

public class OptionsRegistryTest {
  private static final String CORE = "org.apache.beam.sdk.options.DefaultPipelineOptionsRegistrar";
  private static final String DIRECT = "org.apache.beam.runners.direct.DirectRegistrar$Options";
  private static final String FLINK = "org.apache.beam.runners.flink.FlinkRunnerRegistrar$Options";

  @Test
  public void aLocalRunOfItsOwnOptionsNeedsTheCoreAndItsRunnerOnly() {
    assertEquals(List.of(CORE, DIRECT), OptionsRegistry.localRegistrars(new String[] {"--table=t", "--keys=id",
        "--changes=/tmp/c.jsonl", "--streaming", "--targetParallelism=2", "--jobName=x"}, ReplicateOptions.class));
    assertEquals(List.of(CORE, DIRECT, FLINK), OptionsRegistry.localRegistrars(new String[] {"--table=t",
        "--runner=FlinkRunner", "--parallelism=2"}, ReplicateOptions.class));
    assertEquals(List.of(CORE, DIRECT), OptionsRegistry.localRegistrars(new String[] {"--source=s3://a",
        "--runner=org.apache.beam.runners.direct.DirectRunner", "--copiesInFlight=4"}, S3SyncOptions.class));
  }

  @Test
  public void anyOtherOptionOrRunnerKeepsEveryInterface() {
    // A GCP project, an AWS region, Flink's options on the DirectRunner, another runner.
    assertNull(OptionsRegistry.localRegistrars(new String[] {"--table=t", "--project=p"}, ReplicateOptions.class));
    assertNull(OptionsRegistry.localRegistrars(new String[] {"--awsRegion=eu-west-1"}, ReplicateOptions.class));
    assertNull(OptionsRegistry.localRegistrars(new String[] {"--parallelism=2"}, ReplicateOptions.class));
    assertNull(OptionsRegistry.localRegistrars(new String[] {"--runner=DataflowRunner"}, ReplicateOptions.class));
    // A typo is not ours to judge here: Beam's full registry names it.
    assertNull(OptionsRegistry.localRegistrars(new String[] {"--tabel=t"}, ReplicateOptions.class));
  }

  @Test
  public void parsesLocallyThenEverythingWhenAskedFor() {
    String[] local = {"--table=t", "--keys=id", "--targetParallelism=3"};
    OptionsRegistry.reset();
    OptionsRegistry.prepareFor(local, ReplicateOptions.class);
    ReplicateOptions options = PipelineOptionsFactory.fromArgs(local).as(ReplicateOptions.class);
    assertEquals("t", options.getTable());
    assertEquals(3, options.as(org.apache.beam.runners.direct.DirectOptions.class).getTargetParallelism());
    int localInterfaces = PipelineOptionsFactory.getRegisteredOptions().size();

    String[] gcp = {"--table=t", "--project=my-project"};
    OptionsRegistry.prepareFor(gcp, ReplicateOptions.class);
    assertEquals("my-project", PipelineOptionsFactory.fromArgs(gcp).as(ReplicateOptions.class)
        .as(GcpOptions.class).getProject());
    int allInterfaces = PipelineOptionsFactory.getRegisteredOptions().size();
    assertTrue(localInterfaces + " then " + allInterfaces, allInterfaces > 2 * localInterfaces);
    // A misspelt option is still refused, by Beam, with every interface known.
    String[] typo = {"--tabel=t"};
    OptionsRegistry.prepareFor(typo, ReplicateOptions.class);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PipelineOptionsFactory.fromArgs(typo).as(ReplicateOptions.class));
    assertTrue(e.getMessage(), e.getMessage().contains("tabel"));
  }
}
