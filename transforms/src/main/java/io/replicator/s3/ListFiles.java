package io.replicator.s3;

import io.replicator.common.Counters;
import java.io.IOException;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Lists every file below a directory, as {@link ListObjects} lists a bucket, counting them as
 * {@code <side>_objects_listed} and {@code <side>_bytes_listed}. One reader walks the tree: a local
 * directory is on one machine anyway, and a filesystem's own listing ({@code gs://}) is paged by it.
 *
 * <pre>{@code
 * PCollection<ObjectInfo> files = pipeline.apply("List source", ListFiles.of(Directory.parse("--source", "/data"), "source"));
 * }</pre>
 */
public final class ListFiles extends PTransform<PBegin, PCollection<ObjectInfo>> {
  private final Directory directory;
  private final String side;

  private ListFiles(Directory directory, String side) {
    this.directory = directory;
    this.side = side;
  }

  /** Lists {@code directory}; {@code side} ({@code source}, {@code target}) names its counters. */
  public static ListFiles of(Directory directory, String side) {
    return new ListFiles(directory, side);
  }

  @Override
  public PCollection<ObjectInfo> expand(PBegin begin) {
    return begin
        .apply("Directory", Create.of(directory.root()).withCoder(StringUtf8Coder.of()))
        .apply("List files", ParDo.of(new ListFn(directory, side)))
        .setCoder(ObjectInfo.coder());
  }

  private static final class ListFn extends DoFn<String, ObjectInfo> {
    private final Directory directory;
    private final Counter objects;
    private final Counter bytes;
    private final boolean target;

    ListFn(Directory directory, String side) {
      this.directory = directory;
      this.objects = Counters.counter(SyncCounters.objectsListed(side));
      this.bytes = Counters.counter(SyncCounters.bytesListed(side));
      this.target = side.equals("target");
    }

    @ProcessElement
    public void process(OutputReceiver<ObjectInfo> out) {
      try {
        if (!directory.exists()) {
          if (target) {
            return; // made by the first copy into it
          }
          throw new S3SyncException(directory.root() + ": no such directory");
        }
        directory.list(o -> {
          objects.inc();
          bytes.inc(o.size());
          out.output(o);
        });
      } catch (IOException e) {
        throw new S3SyncException("listing " + directory.root() + ": " + e.getMessage(), e);
      }
    }
  }
}
