package io.replicator.pipelines;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystemRegistrar;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * Which option interfaces Beam knows before the arguments are parsed. Beam registers every
 * interface the classpath offers and validates them all on the first parse; with the Dataflow,
 * GCP, AWS and Flink options in the bundled jar that took 1.9 of the 2.3 s a local run spent
 * before its pipeline was built (0.5 s with the core and DirectRunner options alone). A local run
 * whose arguments are all options of its pipeline, the core and the local runner's registers only
 * those; any other argument (a GCP project, an AWS region, another runner) gets Beam's full
 * registry, as before.
 *
 * <p>Beam's file systems are found the same way, and the cloud ones set themselves up from the
 * options whether or not a path uses them (GCS and S3 options validated, an AWS region looked up:
 * half a second of an empty local run here). A local run sees, until the command ends, the local
 * file system and those of the schemes its arguments name ({@code s3://}, {@code gs://}): every
 * path a run opens comes from its arguments. An argument with any other scheme keeps them all.
 */
final class OptionsRegistry {
  private static final String SERVICE = "META-INF/services/" + PipelineOptionsRegistrar.class.getName();
  private static final String FILE_SYSTEMS = "META-INF/services/" + FileSystemRegistrar.class.getName();
  private static final String LOCAL_FILES = "org.apache.beam.sdk.io.LocalFileSystemRegistrar";
  private static final String S3_FILES = "org.apache.beam.sdk.io.aws2.s3.S3FileSystemRegistrar";
  private static final Map<String, String> FILE_SYSTEMS_BY_SCHEME = Map.of(
      "s3", S3_FILES, "gs", "org.apache.beam.sdk.extensions.gcp.storage.GcsFileSystemRegistrar");
  /** A scheme before {@code ://} in an argument's value: a path Beam opens through another file system. */
  private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://");
  private static final String CORE = "org.apache.beam.sdk.options.DefaultPipelineOptionsRegistrar";
  private static final String DIRECT = "org.apache.beam.runners.direct.DirectRegistrar$Options";
  private static final String FLINK = "org.apache.beam.runners.flink.FlinkRunnerRegistrar$Options";

  /** What Beam's registry holds now, as far as this class has set it. */
  private enum Registered { UNKNOWN, LOCAL, FULL }

  private static Registered registered = Registered.UNKNOWN;
  /** The command's thread's own loader while it sees only some file systems, else null. */
  private static ClassLoader narrowedFrom;
  /** The file systems' registrars it sees then. */
  private static List<String> fileSystems;

  private OptionsRegistry() {}

  /** Prepares Beam's registry for parsing {@code args} as {@code pipelineOptions}. */
  static void prepareFor(String[] args, Class<? extends PipelineOptions> pipelineOptions) {
    prepareFor(args, pipelineOptions, args);
  }

  /** As above, where Beam opens the paths of {@code pathArgs} only (a subset of {@code args}). */
  static synchronized void prepareFor(String[] args, Class<? extends PipelineOptions> pipelineOptions,
      String[] pathArgs) {
    List<String> local = localRegistrars(args, pipelineOptions);
    commandFinished();
    List<String> files = fileSystemRegistrars(pathArgs);
    if (local != null && files != null) {
      Thread thread = Thread.currentThread();
      narrowedFrom = thread.getContextClassLoader();
      fileSystems = files;
      // Threads the run starts (the DirectRunner's) inherit it.
      thread.setContextClassLoader(offering(Map.of(FILE_SYSTEMS, files), narrowedFrom));
    }
    if (local == null) {
      if (registered == Registered.LOCAL) {
        PipelineOptionsFactory.resetCache(); // back to every interface on the classpath
      }
      registered = Registered.FULL;
    } else if (registered != Registered.FULL) {
      // A local registry built for another runner (a DirectRunner run, then a Flink one, in one JVM)
      // is built again; the same one is kept.
      Thread thread = Thread.currentThread();
      ClassLoader previous = thread.getContextClassLoader();
      thread.setContextClassLoader(offering(Map.of(SERVICE, local), OptionsRegistry.class.getClassLoader()));
      try {
        // Beam reads its registrars through this loader, when the factory is first used (here, as
        // a rule) or reset: a registry built before from other registrars is built again.
        if (!PipelineOptionsFactory.getRegisteredOptions().equals(interfaces(local))) {
          PipelineOptionsFactory.resetCache();
        }
      } finally {
        thread.setContextClassLoader(previous);
      }
      registered = Registered.LOCAL;
    }
  }

  /** Back to Beam's own registry, as if nothing had been prepared (tests start from here). */
  static synchronized void reset() {
    commandFinished();
    PipelineOptionsFactory.resetCache();
    registered = Registered.UNKNOWN;
  }

  /** Gives the command's thread its own class loader back, every file system with it. */
  static synchronized void commandFinished() {
    if (narrowedFrom != null) {
      Thread.currentThread().setContextClassLoader(narrowedFrom);
      narrowedFrom = null;
      fileSystems = null;
    }
  }

  /** Whether the command leaves Beam's S3 file system out (so it looks up no AWS region). */
  static synchronized boolean withoutS3FileSystem() {
    return fileSystems != null && !fileSystems.contains(S3_FILES);
  }

  /**
   * The file systems' registrars the paths in {@code args} need: the local one and those of the
   * schemes named, or null when a scheme has no registrar here. A JDBC URL
   * ({@code jdbc:postgresql://...}) and an HTTP endpoint are not paths Beam opens.
   */
  static List<String> fileSystemRegistrars(String[] args) {
    Set<String> registrars = new java.util.LinkedHashSet<>(List.of(LOCAL_FILES));
    for (String a : args) {
      String value = a.substring(a.indexOf('=') + 1);
      if (value.startsWith("jdbc:")) {
        continue;
      }
      Matcher m = SCHEME.matcher(value);
      while (m.find()) {
        String scheme = m.group(1).toLowerCase(Locale.ROOT);
        if (scheme.equals("http") || scheme.equals("https") || scheme.equals("file")) {
          continue;
        }
        String registrar = FILE_SYSTEMS_BY_SCHEME.get(scheme);
        if (registrar == null) {
          return null;
        }
        registrars.add(registrar);
      }
    }
    return List.copyOf(registrars);
  }

  /** The registrars a local run of {@code args} needs, or null when it needs them all. */
  static List<String> localRegistrars(String[] args, Class<? extends PipelineOptions> pipelineOptions) {
    String runner = "DirectRunner";
    for (String a : args) {
      if (a.startsWith("--runner=")) {
        String name = a.substring("--runner=".length());
        runner = name.substring(name.lastIndexOf('.') + 1);
      }
    }
    List<String> registrars = new ArrayList<>(List.of(CORE, DIRECT));
    switch (runner.toLowerCase(Locale.ROOT)) {
      case "directrunner", "direct" -> { }
      case "flinkrunner", "flink" -> registrars.add(FLINK);
      default -> {
        return null;
      }
    }
    Set<String> known = new HashSet<>(properties(pipelineOptions));
    Set<Class<? extends PipelineOptions>> interfaces = interfaces(registrars);
    if (interfaces == null) {
      return null; // not on this classpath: let Beam find what it has
    }
    interfaces.forEach(iface -> known.addAll(properties(iface)));
    for (String a : args) {
      if (a.startsWith("--")) {
        int eq = a.indexOf('=');
        if (!known.contains(a.substring(2, eq < 0 ? a.length() : eq))) {
          return null;
        }
      }
    }
    return registrars;
  }

  /** The interfaces Beam registers from {@code registrars} (and PipelineOptions), or null if one is missing. */
  private static Set<Class<? extends PipelineOptions>> interfaces(List<String> registrars) {
    Set<Class<? extends PipelineOptions>> interfaces = new HashSet<>(Set.of(PipelineOptions.class));
    try {
      for (String r : registrars) {
        PipelineOptionsRegistrar registrar = (PipelineOptionsRegistrar) Class.forName(r, true,
            OptionsRegistry.class.getClassLoader()).getDeclaredConstructor().newInstance();
        registrar.getPipelineOptions().forEach(interfaces::add);
      }
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
    return interfaces;
  }

  private static Set<String> properties(Class<?> iface) {
    return propertyTypes(iface).keySet();
  }

  /** The options an interface declares (its getters), by name, with their types. */
  static Map<String, Class<?>> propertyTypes(Class<?> iface) {
    Map<String, Class<?>> types = new HashMap<>();
    for (Method m : iface.getMethods()) {
      String n = m.getName();
      int prefix = n.startsWith("get") ? 3 : n.startsWith("is") ? 2 : 0;
      if (prefix > 0 && n.length() > prefix && m.getParameterCount() == 0 && !n.equals("getClass")) {
        types.put(Character.toLowerCase(n.charAt(prefix)) + n.substring(prefix + 1), m.getReturnType());
      }
    }
    return types;
  }

  /**
   * A loader that offers, for each service file named in {@code services}, only the listed
   * implementations, and delegates all else (every class comes from {@code parent}).
   */
  private static ClassLoader offering(Map<String, List<String>> services, ClassLoader parent) {
    Map<String, URL> listings = new HashMap<>();
    services.forEach((service, implementations) -> listings.put(service, listing(service, implementations)));
    return new ClassLoader(parent) {
      @Override
      public Enumeration<URL> getResources(String name) throws IOException {
        URL listing = listings.get(name);
        return listing != null ? Collections.enumeration(List.of(listing)) : super.getResources(name);
      }
    };
  }

  private static URL listing(String service, List<String> implementations) {
    byte[] listing = String.join("\n", implementations).getBytes(StandardCharsets.UTF_8);
    try {
      return new URL(null, "replicator-registrars:" + service, new URLStreamHandler() {
        @Override
        protected URLConnection openConnection(URL u) {
          return new URLConnection(u) {
            @Override
            public void connect() {}

            @Override
            public InputStream getInputStream() {
              return new ByteArrayInputStream(listing);
            }
          };
        }
      });
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    }
  }
}
