package io.replicator.pipelines;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * What the options interfaces say, written for the places that repeat it: each Flex Template's
 * {@code metadata.json} and the options reference of the guides. Each option's text is written
 * once, on the option; a test fails when a committed file differs from what this writes.
 *
 * <pre>{@code
 * java -cp pipelines/target/replicator-bundled.jar io.replicator.pipelines.FlexTemplateMetadata .
 * }</pre>
 */
public final class FlexTemplateMetadata {
  /** A pipeline with a Flex Template. */
  public enum Pipeline {
    REPLICATE("replicate", ReplicateOptions.class, "Replicator replicate",
        "Replicates database tables into a warehouse: a snapshot (files or a JDBC table) and/or change events"
            + " (native or Debezium JSON), or with streaming=true a continuous stream of Debezium events from Kafka or"
            + " from files as they land, cut into bounded batches of whole keys, the latest change per key kept,"
            + " staged as JSONL and MERGEd. Loses nothing and duplicates nothing; bad input goes to dead-letter files."),
    S3_SYNC("s3-sync", S3SyncOptions.class, "Replicator s3-sync",
        "Copies objects between S3 (or S3-compatible) buckets with aws s3 sync semantics as a distributed job:"
            + " lists both sides, copies what is missing, of another size or newer (server-side where it can),"
            + " deletes extraneous keys only after every copy succeeded (with --delete), and reports every key.");

    final String command;
    final Class<? extends PipelineOptions> options;
    final String title;
    final String description;

    Pipeline(String command, Class<? extends PipelineOptions> options, String title, String description) {
      this.command = command;
      this.options = options;
      this.title = title;
      this.description = description;
    }

    /** Where its metadata lives, from the project's root. */
    public Path metadataFile(Path root) {
      return root.resolve("pipelines/flex-templates").resolve(command).resolve("metadata.json");
    }
  }

  /** The options reference, from the project's root. */
  public static Path referenceFile(Path root) {
    return root.resolve("src/site/markdown/options.md");
  }

  private FlexTemplateMetadata() {}

  /** One option of ours: its name, the interface that groups it, and its getter. */
  record Option(String name, Class<?> group, Method getter) {
    String help() {
      return getter.getAnnotation(Description.class).value();
    }

    boolean required() {
      return getter.isAnnotationPresent(Validation.Required.class);
    }

    String defaultValue() {
      for (var a : getter.getAnnotations()) {
        if (a.annotationType().getEnclosingClass() == Default.class) {
          try {
            return String.valueOf(a.annotationType().getMethod("value").invoke(a));
          } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
          }
        }
      }
      return null;
    }
  }

  /**
   * The options of {@code options} in the order its interfaces are declared, each interface's by
   * name; Beam's own {@code --streaming} too where the pipeline streams.
   */
  static List<Option> options(Class<?> options) {
    Map<String, Option> out = new LinkedHashMap<>();
    collect(options, out);
    return new ArrayList<>(out.values());
  }

  private static void collect(Class<?> iface, Map<String, Option> out) {
    if (iface == StreamingOptions.class) {
      try {
        out.putIfAbsent("streaming", new Option("streaming", iface, iface.getMethod("isStreaming")));
      } catch (NoSuchMethodException e) {
        throw new IllegalStateException(e);
      }
      return;
    }
    if (!iface.getPackageName().equals(FlexTemplateMetadata.class.getPackageName())) {
      return; // Beam's own options are Beam's to document.
    }
    List<Method> getters = new ArrayList<>();
    for (Method m : iface.getDeclaredMethods()) {
      if (m.getName().startsWith("get") && m.getParameterCount() == 0) {
        getters.add(m);
      }
    }
    getters.sort(Comparator.comparing(Method::getName));
    for (Method m : getters) {
      String name = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
      out.putIfAbsent(name, new Option(name, iface, m));
    }
    for (Class<?> parent : iface.getInterfaces()) {
      collect(parent, out);
    }
  }

  /** The {@code metadata.json} of {@code pipeline}. */
  public static String metadata(Pipeline pipeline) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("name", pipeline.title).put("description", pipeline.description).put("streaming", false);
    ArrayNode params = root.putArray("parameters");
    for (Option o : options(pipeline.options)) {
      ObjectNode p = params.addObject();
      p.put("name", o.name());
      TemplateParameter t = o.getter().getAnnotation(TemplateParameter.class);
      boolean streaming = o.name().equals("streaming");
      if (t == null && !streaming) {
        throw new IllegalStateException("option --" + o.name() + " has no @TemplateParameter");
      }
      p.put("label", streaming ? "Streaming" : t.label());
      p.put("helpText", o.help());
      p.put("isOptional", !o.required());
      String[] regexes = streaming ? new String[] {"^(true|false)$"} : t.regexes();
      if (regexes.length > 0) {
        ArrayNode r = p.putArray("regexes");
        for (String regex : regexes) {
          r.add(regex);
        }
      }
      p.put("paramType", streaming ? "TEXT" : t.type());
    }
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
        .withObjectIndenter(new DefaultIndenter("  ", "\n"));
    printer.indentArraysWith(new DefaultIndenter("  ", "\n"));
    StringWriter w = new StringWriter();
    try (JsonGenerator g = json.getFactory().createGenerator(w)) {
      g.setPrettyPrinter(printer);
      json.writeTree(g, root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return w.toString().replace("\" : ", "\": ") + "\n";
  }

  /** The options reference of the guides: per pipeline, per group, each option's default and help. */
  public static String reference() {
    StringBuilder md = new StringBuilder("# Options\n\n")
        .append("Every option of every pipeline, as `PIPELINE --help` prints it and as the Flex Templates take it\n")
        .append("(written from the options themselves: `FlexTemplateMetadata`). Beam's own options (`--runner`,\n")
        .append("`--project`, ...) are Beam's: `PIPELINE --help` lists them too.\n");
    for (Pipeline pipeline : Pipeline.values()) {
      md.append("\n## ").append(pipeline.command).append("\n");
      Class<?> group = null;
      for (Option o : options(pipeline.options)) {
        if (o.group() != group) {
          group = o.group();
          md.append("\n### ").append(heading(group)).append("\n\n")
              .append("| option | default | meaning |\n|---|---|---|\n");
        }
        String def = o.required() ? "required" : o.defaultValue() == null ? "" : "`" + o.defaultValue() + "`";
        md.append("| `--").append(o.name()).append("` | ").append(def).append(" | ")
            .append(o.help().replace("|", "\\|").replace("\n", " ")).append(" |\n");
      }
    }
    return md.toString();
  }

  /** A group's heading: its interface's name in words ({@code JdbcSourceOptions}: "Jdbc source"). */
  static String heading(Class<?> group) {
    String words = group.getSimpleName().replaceFirst("Options$", "").replaceAll("(?<=[a-z0-9])(?=[A-Z])", " ");
    String heading = (words.charAt(0) + words.substring(1).toLowerCase(java.util.Locale.ROOT))
        .replace("Big query", "BigQuery").replace("Jdbc", "JDBC");
    return group == StreamingOptions.class ? heading + " (Beam's option)" : heading;
  }

  /** Writes every pipeline's metadata and the options reference under the project root {@code args[0]}. */
  public static void main(String[] args) throws IOException {
    Path root = Path.of(args.length > 0 ? args[0] : ".");
    StringJoiner written = new StringJoiner("\n");
    for (Pipeline p : Pipeline.values()) {
      Files.writeString(p.metadataFile(root), metadata(p), StandardCharsets.UTF_8);
      written.add(p.metadataFile(root).toString());
    }
    Files.writeString(referenceFile(root), reference(), StandardCharsets.UTF_8);
    written.add(referenceFile(root).toString());
    System.out.println(written);
  }
}
