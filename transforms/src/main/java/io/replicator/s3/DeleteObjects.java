package io.replicator.s3;

import io.replicator.common.Counters;
import java.io.IOException;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Deletes the target keys the plan marked, only once every copy has run without failure (the
 * count of failed copies is a side input, so no delete starts before the copies are done), and
 * none at all when there are more than {@code maxDelete}.
 *
 * <pre>{@code
 * PCollection<SyncResult> deleted = toDelete.apply(
 *     DeleteObjects.from(target, failedCopies, plannedDeletes).withMaxDelete(1000));
 * }</pre>
 */
public final class DeleteObjects extends PTransform<PCollection<SyncAction>, PCollection<SyncResult>> {
  private final SyncSide target;
  private final PCollectionView<Long> failedCopies;
  private final PCollectionView<Long> plannedDeletes;
  private final long maxDelete;
  private final boolean dryRun;

  private DeleteObjects(SyncSide target, PCollectionView<Long> failedCopies,
      PCollectionView<Long> plannedDeletes, long maxDelete, boolean dryRun) {
    this.target = target;
    this.failedCopies = failedCopies;
    this.plannedDeletes = plannedDeletes;
    this.maxDelete = maxDelete;
    this.dryRun = dryRun;
  }

  public static DeleteObjects from(SyncSide target, PCollectionView<Long> failedCopies,
      PCollectionView<Long> plannedDeletes) {
    return new DeleteObjects(target, failedCopies, plannedDeletes, Long.MAX_VALUE, false);
  }

  /** Refuses every delete when more than {@code max} are planned (a negative max: no bound). */
  public DeleteObjects withMaxDelete(long max) {
    return new DeleteObjects(target, failedCopies, plannedDeletes, max < 0 ? Long.MAX_VALUE : max, dryRun);
  }

  public DeleteObjects dryRun(boolean dry) {
    return new DeleteObjects(target, failedCopies, plannedDeletes, maxDelete, dry);
  }

  @Override
  public PCollection<SyncResult> expand(PCollection<SyncAction> deletes) {
    return deletes.apply("Delete", ParDo.of(new DeleteFn(this)).withSideInputs(failedCopies, plannedDeletes))
        .setCoder(SyncResult.coder());
  }

  private static final class DeleteFn extends DoFn<SyncAction, SyncResult> {
    private final DeleteObjects spec;
    private final Counter deleted = Counters.counter(SyncCounters.OBJECTS_DELETED);
    private final Counter failed = Counters.counter(SyncCounters.OBJECTS_FAILED);

    DeleteFn(DeleteObjects spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element SyncAction a, ProcessContext ctx) {
      long size = a.target().size();
      String etag = a.target().etag();
      long planned = ctx.sideInput(spec.plannedDeletes);
      long failedCopies = ctx.sideInput(spec.failedCopies);
      if (planned > spec.maxDelete) {
        ctx.output(new SyncResult(a.key(), "skipped", "not deleted: " + planned + " deletes are planned, more than"
            + " --maxDelete=" + spec.maxDelete, size, "", etag, 0));
      } else if (spec.dryRun) {
        ctx.output(new SyncResult(a.key(), "would delete", a.reason(), size, "", etag, 0));
      } else if (failedCopies > 0) {
        ctx.output(new SyncResult(a.key(), "skipped", "not deleted: " + failedCopies
            + " copies failed, and deletes wait for every copy", size, "", etag, 0));
      } else {
        String error = spec.target instanceof SyncSide.Bucket b ? deleteKey(b, a.key())
            : deleteFile((Directory) spec.target, a.key());
        if (error == null) {
          deleted.inc();
          ctx.output(new SyncResult(a.key(), "deleted", a.reason(), size, "", etag, 1));
        } else {
          failed.inc();
          ctx.output(new SyncResult(a.key(), "failed", error, size, "", etag, 1));
        }
      }
    }

    /** Deletes a key of a bucket; returns why it failed, or null. */
    private static String deleteKey(SyncSide.Bucket b, String key) {
      try {
        b.endpoint().client().deleteObject(r -> r.bucket(b.location().bucket()).key(b.location().key(key)));
        return null;
      } catch (SdkException e) {
        return S3Errors.describe("deleting " + b.location().key(key), b.endpoint(), e);
      }
    }

    /** Deletes a file of a directory; returns why it failed, or null. */
    private static String deleteFile(Directory d, String key) {
      try {
        d.delete(key);
        return null;
      } catch (IOException e) {
        return "deleting " + d.root() + key + ": " + e.getMessage();
      }
    }
  }
}
