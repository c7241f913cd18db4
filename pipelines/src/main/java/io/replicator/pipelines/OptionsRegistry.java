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
 */
final class OptionsRegistry {
  private static final String SERVICE = "META-INF/services/" + PipelineOptionsRegistrar.class.getName();
  private static final String CORE = "org.apache.beam.sdk.options.DefaultPipelineOptionsRegistrar";
  private static final String DIRECT = "org.apache.beam.runners.direct.DirectRegistrar$Options";
  private static final String FLINK = "org.apache.beam.runners.flink.FlinkRunnerRegistrar$Options";

  /** What Beam's registry holds now, as far as this class has set it. */
  private enum Registered { UNKNOWN, LOCAL, FULL }

  private static Registered registered = Registered.UNKNOWN;

  private OptionsRegistry() {}

  /** Prepares Beam's registry for parsing {@code args} as {@code pipelineOptions}. */
  static synchronized void prepareFor(String[] args, Class<? extends PipelineOptions> pipelineOptions) {
    List<String> local = localRegistrars(args, pipelineOptions);
    if (local == null) {
      if (registered == Registered.LOCAL) {
        PipelineOptionsFactory.resetCache(); // back to every interface on the classpath
      }
      registered = Registered.FULL;
    } else if (registered == Registered.UNKNOWN) {
      Thread thread = Thread.currentThread();
      ClassLoader previous = thread.getContextClassLoader();
      thread.setContextClassLoader(offering(local, OptionsRegistry.class.getClassLoader()));
      try {
        PipelineOptionsFactory.resetCache(); // Beam reads its registrars through this loader
      } finally {
        thread.setContextClassLoader(previous);
      }
      registered = Registered.LOCAL;
    }
  }

  /** Back to Beam's own registry, as if nothing had been prepared (tests start from here). */
  static synchronized void reset() {
    PipelineOptionsFactory.resetCache();
    registered = Registered.UNKNOWN;
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
    try {
      for (String r : registrars) {
        PipelineOptionsRegistrar registrar = (PipelineOptionsRegistrar) Class.forName(r, true,
            OptionsRegistry.class.getClassLoader()).getDeclaredConstructor().newInstance();
        for (Class<? extends PipelineOptions> iface : registrar.getPipelineOptions()) {
          known.addAll(properties(iface));
        }
      }
    } catch (ReflectiveOperationException | LinkageError e) {
      return null; // not on this classpath: let Beam find what it has
    }
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

  /** A loader that offers only {@code registrars} as option registrars and delegates all else. */
  private static ClassLoader offering(List<String> registrars, ClassLoader parent) {
    byte[] listing = String.join("\n", registrars).getBytes(StandardCharsets.UTF_8);
    URL url;
    try {
      url = new URL(null, "replicator-registrars:" + SERVICE, new URLStreamHandler() {
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
    return new ClassLoader(parent) {
      @Override
      public Enumeration<URL> getResources(String name) throws IOException {
        return SERVICE.equals(name) ? Collections.enumeration(List.of(url)) : super.getResources(name);
      }
    };
  }
}
