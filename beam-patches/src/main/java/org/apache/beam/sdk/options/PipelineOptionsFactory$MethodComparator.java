package org.apache.beam.sdk.options;

import java.lang.reflect.Method;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stands in for Beam 2.70.0's {@code PipelineOptionsFactory.MethodComparator}, which orders methods
 * by {@link Method#toGenericString()}: the same order, with each method's text computed once
 * instead of at every comparison. Beam sorts the methods of every options interface it registers
 * and validates this way, and the text is rebuilt from the method's generic signature each time:
 * a third of the main thread of an empty local replicate run went to it. Beam reaches the class
 * only through {@link #INSTANCE}.
 */
final class PipelineOptionsFactory$MethodComparator implements Comparator<Method> {
  static final PipelineOptionsFactory$MethodComparator INSTANCE = new PipelineOptionsFactory$MethodComparator();

  /**
   * Each method's text, held by its declaring class (so a class unloaded with its loader, a job's
   * on a Flink session cluster, takes its entries along). Equal methods, the copies that
   * {@link Class#getMethods()} returns each time, share one entry.
   */
  private static final ClassValue<Map<Method, String>> TEXT = new ClassValue<>() {
    @Override
    protected Map<Method, String> computeValue(Class<?> declaringClass) {
      return new ConcurrentHashMap<>();
    }
  };

  private PipelineOptionsFactory$MethodComparator() {}

  @Override
  public int compare(Method a, Method b) {
    return text(a).compareTo(text(b));
  }

  private static String text(Method m) {
    return TEXT.get(m.getDeclaringClass()).computeIfAbsent(m, Method::toGenericString);
  }
}
