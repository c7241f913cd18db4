package io.replicator.pipelines;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertNotNull;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.Test;

/**
 * The bundled jar carries the project's classes that stand in for Beam's (beam-patches, and the
 * DirectRunner's executor of this module), not the Beam ones of the same name.
 */
public class BundledJarIT {
  private static final Path JAR = Path.of("target", "replicator-bundled.jar").toAbsolutePath();

  @Test
  public void theClassesStandingInForBeamsAreTheProjects() throws Exception {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      for (String name : List.of("org/apache/beam/sdk/options/PipelineOptionsFactory$MethodComparator.class",
          "org/apache/beam/runners/direct/ExecutorServiceParallelExecutor.class")) {
        ZipEntry entry = jar.getEntry(name);
        assertNotNull(name + " in " + JAR, entry);
        // The test classpath puts the project's own first (the tests of each check that).
        try (InputStream bundled = jar.getInputStream(entry);
            InputStream own = getClass().getClassLoader().getResourceAsStream(name)) {
          assertNotNull(name, own);
          assertArrayEquals(name, own.readAllBytes(), bundled.readAllBytes());
        }
      }
    }
  }
}
