package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.apache.beam.sdk.extensions.gcp.options.GcpOptions;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.AwsOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

public class OptionsRegistryTest {
  private static final String CORE = "org.apache.beam.sdk.options.DefaultPipelineOptionsRegistrar";
  private static final String DIRECT = "org.apache.beam.runners.direct.DirectRegistrar$Options";
  private static final String FLINK = "org.apache.beam.runners.flink.FlinkRunnerRegistrar$Options";
  private static final String LOCAL_FILES = "org.apache.beam.sdk.io.LocalFileSystemRegistrar";
  private static final String S3_FILES = "org.apache.beam.sdk.io.aws2.s3.S3FileSystemRegistrar";
  private static final String GCS_FILES = "org.apache.beam.sdk.extensions.gcp.storage.GcsFileSystemRegistrar";

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
    // reset() had registered every interface: the local registry replaced it.
    assertFalse(PipelineOptionsFactory.getRegisteredOptions().contains(GcpOptions.class));

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

  /** In one JVM (tests, an embedding), a DirectRunner run's registry does not serve a Flink run after it. */
  @Test
  public void aLocalRunOnAnotherRunnerGetsThatRunnersOptions() {
    OptionsRegistry.reset();
    String[] direct = {"--table=t", "--keys=id"};
    OptionsRegistry.prepareFor(direct, ReplicateOptions.class);
    PipelineOptionsFactory.fromArgs(direct).as(ReplicateOptions.class);
    String[] flink = {"--table=t", "--keys=id", "--runner=FlinkRunner", "--parallelism=2"};
    OptionsRegistry.prepareFor(flink, ReplicateOptions.class);
    assertEquals(2, PipelineOptionsFactory.fromArgs(flink).as(ReplicateOptions.class)
        .as(org.apache.beam.runners.flink.FlinkPipelineOptions.class).getParallelism().intValue());
    assertFalse(PipelineOptionsFactory.getRegisteredOptions().contains(GcpOptions.class));
    // And back: the DirectRunner's registry again, without Flink's options.
    OptionsRegistry.prepareFor(direct, ReplicateOptions.class);
    assertFalse(PipelineOptionsFactory.getRegisteredOptions().contains(
        org.apache.beam.runners.flink.FlinkPipelineOptions.class));
  }

  @Test
  public void theFileSystemsARunNeedsAreThoseOfThePathsInItsArguments() {
    assertEquals(List.of(LOCAL_FILES), OptionsRegistry.fileSystemRegistrars(new String[] {"--changes=/tmp/c.jsonl",
        "--snapshot=file:///tmp/s.jsonl", "--jdbcUrl=jdbc:postgresql://db:5432/shop", "--endpoint=http://127.0.0.1:9000"}));
    assertEquals(List.of(LOCAL_FILES, S3_FILES), OptionsRegistry.fileSystemRegistrars(new String[] {"--source=/data",
        "--target=s3://bucket/exports", "--report=S3://bucket/report.jsonl"}));
    // A list of paths is looked into; a scheme without a registrar here keeps every file system.
    assertEquals(List.of(LOCAL_FILES, GCS_FILES, S3_FILES), OptionsRegistry.fileSystemRegistrars(new String[] {
        "--changes=a.jsonl,gs://b/c.jsonl", "--staging=s3://b/staging"}));
    assertNull(OptionsRegistry.fileSystemRegistrars(new String[] {"--changes=hdfs://namenode/c.jsonl"}));
  }

  @Test
  public void anS3SyncSetsUpBeamsS3FileSystemOnlyForPathsBeamOpens() {
    // Buckets are read by the sync's own clients; a report or credentials file goes through Beam.
    assertEquals(List.of(LOCAL_FILES), OptionsRegistry.fileSystemRegistrars(S3SyncPipeline.beamPathArguments(
        new String[] {"--source=s3://a/x", "--target= s3://b/y", "--report=/tmp/r.jsonl"})));
    assertEquals(List.of(LOCAL_FILES, S3_FILES), OptionsRegistry.fileSystemRegistrars(S3SyncPipeline.beamPathArguments(
        new String[] {"--source=s3://a/x", "--target=s3://b/y", "--report=s3://b/report.jsonl"})));
    assertEquals(List.of(LOCAL_FILES, GCS_FILES), OptionsRegistry.fileSystemRegistrars(S3SyncPipeline.beamPathArguments(
        new String[] {"--source=gs://a/x", "--target=s3://b/y"})));
    assertEquals(List.of(LOCAL_FILES, S3_FILES), OptionsRegistry.fileSystemRegistrars(S3SyncPipeline.beamPathArguments(
        new String[] {"--source=/data", "--target=s3://b/y", "--targetCredentialsFile=s3://c/credentials"})));
  }

  @Test
  public void aLocalRunSeesTheFileSystemsOfItsPathsUntilTheCommandEnds() {
    ClassLoader own = Thread.currentThread().getContextClassLoader();
    OptionsRegistry.reset();
    try {
      String[] local = {"--table=t", "--keys=id", "--changes=/tmp/c.jsonl"};
      OptionsRegistry.prepareFor(local, ReplicateOptions.class);
      FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.fromArgs(local).as(ReplicateOptions.class));
      assertEquals("file", FileSystems.matchNewResource("/tmp/x", false).getScheme());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> FileSystems.matchNewResource("gs://bucket/x", false));
      assertTrue(e.getMessage(), e.getMessage().contains("No filesystem found for scheme gs"));
      assertTrue(OptionsRegistry.withoutS3FileSystem());

      String[] s3 = {"--table=t", "--keys=id", "--staging=s3://bucket/staging"};
      OptionsRegistry.prepareFor(s3, ReplicateOptions.class);
      ReplicateOptions options = PipelineOptionsFactory.fromArgs(s3).as(ReplicateOptions.class);
      options.as(AwsOptions.class).setAwsRegion(software.amazon.awssdk.regions.Region.US_EAST_1);
      FileSystems.setDefaultPipelineOptions(options);
      assertEquals("s3", FileSystems.matchNewResource("s3://bucket/x", false).getScheme());
      e = assertThrows(IllegalArgumentException.class, () -> FileSystems.matchNewResource("gs://bucket/x", false));
      assertTrue(e.getMessage(), e.getMessage().contains("No filesystem found for scheme gs"));
      assertFalse(OptionsRegistry.withoutS3FileSystem());
    } finally {
      OptionsRegistry.commandFinished();
    }
    assertSame(own, Thread.currentThread().getContextClassLoader());
    assertFalse(OptionsRegistry.withoutS3FileSystem());
    // Once the command ends, Beam finds every file system again.
    AwsOptions any = PipelineOptionsFactory.create().as(AwsOptions.class);
    any.setAwsRegion(software.amazon.awssdk.regions.Region.US_EAST_1);
    FileSystems.setDefaultPipelineOptions(any);
    assertEquals("gs", FileSystems.matchNewResource("gs://bucket/x", false).getScheme());
    OptionsRegistry.reset();
  }
}
