package io.replicator.source;

import io.replicator.common.Counters;
import io.replicator.common.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.StringSet;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Writes dead letters as JSONL under a directory: one file per input source with rejected input
 * (in a stream, per source and window), its lines in input order, named by what it holds:
 * {@code rejected-<source name>-<hash of its lines>.jsonl}. The same rejected input therefore
 * always lands in the same file: a re-run of the same input, or a retried bundle, rewrites it
 * instead of adding another, and a run with no rejected input writes nothing. The files written
 * are reported in the string-set metric {@value #FILES_WRITTEN}.
 *
 * <pre>{@code
 * read.deadLetters().apply(WriteDeadLetters.to("/tmp/dead"));
 * }</pre>
 *
 * <p>Outputs the paths written.
 */
public final class WriteDeadLetters extends PTransform<PCollection<DeadLetter>, PCollection<String>> {
  /** String set: the dead-letter files a run wrote. */
  public static final String FILES_WRITTEN = "dead_letter_files";
  private final String directory;

  private WriteDeadLetters(String directory) {
    this.directory = directory;
  }

  /** Every dead-letter file under {@code directory}, as a pattern a user can list. */
  public static String files(String directory) {
    return directory + "/rejected-*.jsonl";
  }

  public static WriteDeadLetters to(String directory) {
    if (directory == null || directory.isBlank()) {
      throw new IllegalArgumentException("a dead-letter directory is required");
    }
    return new WriteDeadLetters(directory);
  }

  @Override
  public PCollection<String> expand(PCollection<DeadLetter> input) {
    return input
        .apply("By source", WithKeys.of(DeadLetter::source).withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), DeadLetter.coder()))
        .apply("Group", GroupByKey.create())
        .apply("Write", ParDo.of(new WriteFn(directory)))
        .setCoder(StringUtf8Coder.of());
  }

  /** The file the dead letters {@code lines} (as JSON) of {@code source} go to: named by source and content. */
  static String fileName(String source, List<String> lines) {
    String base = source.substring(source.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_");
    if (base.length() > 80) {
      base = base.substring(0, 80);
    }
    MessageDigest sha = Sha256.digest();
    sha.update(source.getBytes(StandardCharsets.UTF_8));
    for (String line : lines) {
      sha.update((byte) '\n');
      sha.update(line.getBytes(StandardCharsets.UTF_8));
    }
    return "rejected-" + base + "-" + HexFormat.of().formatHex(sha.digest(), 0, 8) + ".jsonl";
  }

  private static final class WriteFn extends DoFn<KV<String, Iterable<DeadLetter>>, String> {
    private final String directory;
    private final StringSet written = Counters.stringSet(FILES_WRITTEN);

    WriteFn(String directory) {
      this.directory = directory;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<DeadLetter>> group, OutputReceiver<String> out) throws IOException {
      List<DeadLetter> letters = new ArrayList<>();
      group.getValue().forEach(letters::add);
      // In input order; equal lines (a replayed event) in one order whatever order they came in.
      letters.sort(Comparator.comparingLong(DeadLetter::line).thenComparing(DeadLetter::toJson));
      List<String> lines = letters.stream().map(DeadLetter::toJson).toList();
      String path = JsonlFiles.write(directory, fileName(group.getKey(), lines), lines);
      written.add(path);
      out.output(path);
    }
  }
}
