package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.ReleaseInfo;
import org.junit.Test;

/**
 * The comparator of replicator-beam-patches is the one Beam uses, and orders methods as Beam's own
 * did: by their generic signature text.
 */
public class MethodComparatorPatchTest {
  private static final String NAME = "org.apache.beam.sdk.options.PipelineOptionsFactory$MethodComparator";

  @Test
  public void itStandsInForTheBeamReleaseInUse() {
    assertEquals("beam-patches' PipelineOptionsFactory$MethodComparator stands in for Beam 2.70.0's: check that the"
        + " new release still orders by Method.toGenericString and reaches the class only through INSTANCE, then"
        + " update this version", "2.70.0", ReleaseInfo.getReleaseInfo().getVersion());
  }

  @Test
  public void beamLoadsThePatchedClass() throws Exception {
    Class<?> loaded = Class.forName(NAME, false, PipelineOptionsFactory.class.getClassLoader());
    String from = loaded.getProtectionDomain().getCodeSource().getLocation().toString();
    assertTrue(from, from.contains("beam-patches"));
  }

  @Test
  public void itOrdersMethodsAsTheirGenericTextDoes() throws Exception {
    List<Method> methods = new ArrayList<>();
    List<Class<? extends PipelineOptions>> interfaces = new ArrayList<>(PipelineOptionsFactory.getRegisteredOptions());
    interfaces.addAll(List.of(ReplicateOptions.class, S3SyncOptions.class, DirectOptions.class));
    for (Class<? extends PipelineOptions> iface : interfaces) {
      // Twice: equal copies, as getMethods() returns them at each call, compare as equal.
      methods.addAll(List.of(iface.getMethods()));
      methods.addAll(List.of(iface.getMethods()));
    }
    Field instance = Class.forName(NAME).getDeclaredField("INSTANCE");
    instance.setAccessible(true);
    @SuppressWarnings("unchecked")
    Comparator<Method> patched = (Comparator<Method>) instance.get(null);
    Random random = new Random(7);
    for (int round = 0; round < 3; round++) {
      Collections.shuffle(methods, random);
      List<Method> expected = new ArrayList<>(methods);
      expected.sort(Comparator.comparing(Method::toGenericString));
      List<Method> actual = new ArrayList<>(methods);
      actual.sort(patched);
      assertEquals(expected.stream().map(Method::toGenericString).toList(),
          actual.stream().map(Method::toGenericString).toList());
    }
    assertTrue("methods compared: " + methods.size(), methods.size() > 500);
  }
}
