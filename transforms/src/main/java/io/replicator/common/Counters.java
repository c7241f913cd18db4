package io.replicator.common;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.StringSet;

/**
 * The Beam metrics every pipeline reports, in one namespace ({@value #NAMESPACE}): what a user
 * watches on a runner's page, and what the end-of-run summary is read from. Each transform names
 * its own counters.
 */
public final class Counters {
  public static final String NAMESPACE = "replicator";
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private Counters() {}

  public static Counter counter(String name) {
    return Metrics.counter(NAMESPACE, name);
  }

  public static Distribution distribution(String name) {
    return Metrics.distribution(NAMESPACE, name);
  }

  public static StringSet stringSet(String name) {
    return Metrics.stringSet(NAMESPACE, name);
  }

  public static Gauge gauge(String name) {
    return Metrics.gauge(NAMESPACE, name);
  }

  /** The CPU time of the calling thread, for counters of the CPU a step spends per element. */
  public static long threadCpuNanos() {
    return THREADS.getCurrentThreadCpuTime();
  }
}
