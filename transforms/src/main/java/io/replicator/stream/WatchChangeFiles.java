package io.replicator.stream;

import io.replicator.common.Counters;
import io.replicator.source.ReadChanges;
import io.replicator.source.Utf8Lines;
import java.io.IOException;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Watch;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Watches a file pattern (a local path, {@code gs://}, {@code s3://}) for change files as they land
 * and reads each new file once, line by line, as {@link SourceEvent}s (the file, the line number,
 * the line). For exports that drop files into object storage. A file is read when it first
 * appears, so writers should land files whole (write elsewhere, then rename or copy in).
 *
 * <pre>{@code
 * PCollection<SourceEvent> events =
 *     p.apply(WatchChangeFiles.matching("gs://exports/orders/*.jsonl").every(Duration.standardSeconds(10)));
 * }</pre>
 */
public final class WatchChangeFiles extends PTransform<PBegin, PCollection<SourceEvent>> {
  private final String filepattern;
  private final Duration interval;

  private WatchChangeFiles(String filepattern, Duration interval) {
    this.filepattern = filepattern;
    this.interval = interval;
  }

  public static WatchChangeFiles matching(String filepattern) {
    if (filepattern == null || filepattern.isBlank()) {
      throw new IllegalArgumentException("a file pattern to watch is required");
    }
    return new WatchChangeFiles(filepattern, Duration.standardSeconds(10));
  }

  /** How often the pattern is matched again. */
  public WatchChangeFiles every(Duration interval) {
    if (interval.getMillis() < 1) {
      throw new IllegalArgumentException("the watch interval must be positive, got " + interval);
    }
    return new WatchChangeFiles(filepattern, interval);
  }

  @Override
  public PCollection<SourceEvent> expand(PBegin input) {
    return input
        .apply("Watch files", FileIO.match().filepattern(filepattern)
            .withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW)
            .continuously(interval, Watch.Growth.never()))
        .apply("Open files", FileIO.readMatches())
        .apply("Read lines", ParDo.of(new ReadLinesFn()))
        .setCoder(SourceEvent.coder());
  }

  private static final class ReadLinesFn extends DoFn<FileIO.ReadableFile, SourceEvent> {
    private final Counter files = Counters.counter(ReadChanges.FILES_READ);

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<SourceEvent> out) throws IOException {
      String source = file.getMetadata().resourceId().toString();
      files.inc();
      try (Utf8Lines in = Utf8Lines.of(file)) {
        String line;
        while ((line = in.next()) != null) {
          if (!line.isBlank()) {
            out.output(new SourceEvent(source, in.lineNumber(), line, null, in.malformed()));
          }
        }
      }
    }
  }
}
