package io.replicator.pipelines;

import io.replicator.pipelines.FlexTemplateMetadata.Option;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * What {@code PIPELINE --help} prints: the pipeline's own options, grouped in the order a user
 * needs them (the table and its input, where it lands, then sources, streams and tuning), each
 * with its default; Beam's options only with {@code --help=all}. Read from the options interfaces
 * alone, so it prints without starting Beam's options machinery (which takes seconds).
 */
final class OptionsHelp {
  /** The groups first shown, in this order; a group not listed follows them. */
  private static final List<Class<?>> ORDER = List.of(TableOptions.class, ChangeInputOptions.class,
      SnapshotOptions.class, WarehouseOptions.class, StagingOptions.class, BigQueryTargetOptions.class,
      JdbcSourceOptions.class, ReplicationSlotOptions.class, StreamingOptions.class, StreamSourceOptions.class, ThroughputOptions.class,
      S3SidesOptions.class, S3SyncOptions.class, FlinkClusterOptions.class);
  private static final int WIDTH = 100;
  private static final int NAME_COLUMN = 26;

  private OptionsHelp() {}

  /** Whether {@code args} ask for help: {@code --help} or {@code --help=all}. */
  static boolean asked(String[] args) {
    return List.of(args).stream().anyMatch(a -> a.equals("--help") || a.startsWith("--help="));
  }

  /**
   * Prints the help {@code args} ask for: ours, or with {@code --help=all} Beam's options after
   * ours.
   */
  static void print(String command, Class<? extends PipelineOptions> options, String[] args, PrintStream out) {
    out.print(render(command, options));
    if (List.of(args).contains("--help=all")) {
      out.println();
      out.println("Beam's options (runners, Dataflow, Flink, filesystems):");
      PipelineOptionsFactory.printHelp(out, PipelineOptions.class);
      PipelineOptionsFactory.printHelp(out, options);
    }
  }

  static String render(String command, Class<? extends PipelineOptions> options) {
    Map<Class<?>, List<Option>> groups = FlexTemplateMetadata.options(options).stream()
        .collect(Collectors.groupingBy(Option::group));
    List<Class<?>> order = new ArrayList<>(groups.keySet());
    order.sort(Comparator.comparing((Function<Class<?>, Integer>) g -> ORDER.contains(g) ? ORDER.indexOf(g) : ORDER.size())
        .thenComparing(Class::getSimpleName));
    StringBuilder sb = new StringBuilder("usage: replicator ").append(command).append(" --option=value ...\n");
    for (Class<?> group : order) {
      sb.append('\n').append(FlexTemplateMetadata.heading(group)).append('\n');
      for (Option o : groups.get(group)) {
        String text = o.help() + (o.required() ? " Required."
            : o.defaultValue() == null ? "" : " Default: " + o.defaultValue() + ".");
        appendWrapped(sb, "  --" + o.name(), text);
      }
    }
    sb.append("\n--progressEvery=30s (or 1m) sets how often a progress line goes out (every 5 s by default),"
        + "\n--quiet turns them off. --help=all adds Beam's own options (runner, project, ...).\n");
    return sb.toString();
  }

  /** {@code name}, then {@code text} wrapped in the second column. */
  private static void appendWrapped(StringBuilder sb, String name, String text) {
    String indent = " ".repeat(NAME_COLUMN);
    StringBuilder line = new StringBuilder(name);
    if (line.length() >= NAME_COLUMN - 1) {
      sb.append(line).append('\n');
      line = new StringBuilder(indent);
    } else {
      line.append(" ".repeat(NAME_COLUMN - line.length()));
    }
    boolean first = true;
    for (String word : text.trim().split("\\s+")) {
      if (!first && line.length() + 1 + word.length() > WIDTH) {
        sb.append(line).append('\n');
        line = new StringBuilder(indent);
        first = true;
      }
      line.append(first ? "" : " ").append(word);
      first = false;
    }
    sb.append(line.toString().stripTrailing()).append('\n');
  }
}
