package io.replicator.source;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Writes dead letters as JSONL under a directory: one file per input source with rejected input,
 * named {@code rejected-<run id>-<source name>-<hash>.jsonl}, its lines in input order. In a
 * stream, one file per source and window: {@code rejected-<run id>-<window start>-<source>-<hash>.jsonl}. Writing a
 * file again (a retried bundle) replaces it, so a retry never duplicates a dead letter, and a run
 * with no rejected input writes nothing.
 *
 * <pre>{@code
 * read.deadLetters().apply(WriteDeadLetters.to("/tmp/dead", runId));
 * }</pre>
 *
 * <p>Outputs the paths written.
 */
public final class WriteDeadLetters extends PTransform<PCollection<DeadLetter>, PCollection<String>> {
  private final String directory;
  private final String runId;

  private WriteDeadLetters(String directory, String runId) {
    this.directory = directory;
    this.runId = runId;
  }

  /** The files a run's dead letters go to, as a pattern a user can list. */
  public static String files(String directory, String runId) {
    return directory + "/rejected-" + runId + "-*.jsonl";
  }

  public static WriteDeadLetters to(String directory, String runId) {
    if (directory == null || directory.isBlank()) {
      throw new IllegalArgumentException("a dead-letter directory is required");
    }
    return new WriteDeadLetters(directory, runId);
  }

  @Override
  public PCollection<String> expand(PCollection<DeadLetter> input) {
    return input
        .apply("By source", WithKeys.of(DeadLetter::source).withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), DeadLetter.coder()))
        .apply("Group", GroupByKey.create())
        .apply("Write", ParDo.of(new WriteFn(directory, runId)))
        .setCoder(StringUtf8Coder.of());
  }

  /** The file name dead letters of {@code source} get in run {@code runId}. */
  static String fileName(String runId, String source) {
    String base = source.substring(source.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_");
    String hash = String.format("%08x", source.hashCode());
    return "rejected-" + runId + "-" + base + "-" + hash + ".jsonl";
  }

  private static final java.time.format.DateTimeFormatter WINDOW =
      java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);

  private static final class WriteFn extends DoFn<KV<String, Iterable<DeadLetter>>, String> {
    private final String directory;
    private final String runId;

    WriteFn(String directory, String runId) {
      this.directory = directory;
      this.runId = runId;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<DeadLetter>> group, BoundedWindow window, PaneInfo pane,
        OutputReceiver<String> out) throws IOException {
      List<DeadLetter> letters = new ArrayList<>();
      group.getValue().forEach(letters::add);
      letters.sort(Comparator.comparingLong(DeadLetter::line));
      String run = window instanceof IntervalWindow w
          ? runId + "-" + WINDOW.format(java.time.Instant.ofEpochMilli(w.start().getMillis()))
              + (pane.getIndex() == 0 ? "" : "-" + pane.getIndex())
          : runId;
      out.output(JsonlFiles.write(directory, fileName(run, group.getKey()),
          letters.stream().map(DeadLetter::toJson).toList()));
    }
  }
}
