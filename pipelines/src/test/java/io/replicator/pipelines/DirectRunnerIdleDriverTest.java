package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.ReleaseInfo;
import org.junit.Test;

/**
 * The DirectRunner as the bundled jar runs it (Beam's executor with Replicator's change): while one
 * long bundle runs, the pool's other thread does not spend a core driving the pipeline. Beam's own
 * executor resubmitted its driver at once, and that thread ran it without pause.
 */
public class DirectRunnerIdleDriverTest {
  /** CPU the other pool threads used while the bundle slept (nanoseconds). */
  private static final AtomicLong OTHERS_CPU = new AtomicLong(-1);

  @Test
  public void theExecutorIsACopyOfTheBeamReleaseInUse() {
    assertEquals("org.apache.beam.runners.direct.ExecutorServiceParallelExecutor (pipelines/src/main/java) is Beam"
        + " 2.70.0's with one change: apply that change to the new release's copy, then update this version",
        "2.70.0", ReleaseInfo.getReleaseInfo().getVersion());
  }

  @Test
  public void whileOneLongBundleRunsTheOtherWorkerThreadStaysNearlyIdle() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setTargetParallelism(2);
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(1)).apply(ParDo.of(new SleepingFn()));
    p.run().waitUntilFinish();
    long cpu = OTHERS_CPU.get();
    assertTrue("other worker threads' CPU while a bundle slept 2 s: " + cpu / 1_000_000 + " ms",
        cpu >= 0 && cpu < 300_000_000L);
  }

  private static final class SleepingFn extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(@Element Integer i) throws InterruptedException {
      long before = othersCpu();
      Thread.sleep(2000);
      OTHERS_CPU.set(othersCpu() - before);
    }

    /** The CPU time of the runner's worker threads other than this one. */
    private static long othersCpu() {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long self = Thread.currentThread().getId();
      long sum = 0;
      for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (info != null && info.getThreadId() != self && info.getThreadName().startsWith("direct-runner-worker")) {
          sum += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
        }
      }
      return sum;
    }
  }
}
