package io.replicator.common;

import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * The Beam metrics every pipeline reports, in one namespace ({@value #NAMESPACE}): what a user
 * watches on a runner's page, and what the end-of-run summary is read from. Each transform names
 * its own counters.
 */
public final class Counters {
  public static final String NAMESPACE = "replicator";

  private Counters() {}

  public static Counter counter(String name) {
    return Metrics.counter(NAMESPACE, name);
  }

  public static Distribution distribution(String name) {
    return Metrics.distribution(NAMESPACE, name);
  }

  public static Gauge gauge(String name) {
    return Metrics.gauge(NAMESPACE, name);
  }
}
