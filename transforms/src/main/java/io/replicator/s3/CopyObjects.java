package io.replicator.s3;

import io.replicator.common.Counters;
import io.replicator.common.Throttle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Copies the planned objects. Where a directory is on either side, files are uploaded, downloaded
 * or copied by {@link DirectoryCopies}. Between buckets on one service (same endpoint and
 * credentials) the copy is server-side: CopyObject below the multipart threshold (one signed
 * request, {@link CopyObjectCall}), UploadPartCopy of parts in parallel above it
 * ({@link MultipartCopyCall}); across services it streams (GET, then PUT or a multipart upload of
 * bounded parts).
 * Every read of the source is pinned to the listed ETag, so an object replaced since the listing
 * fails with that reason instead of being half copied. Content type and the other system metadata,
 * user metadata and tags are kept on every path; the storage class is kept unless the settings set
 * one. A multipart upload that fails is aborted.
 *
 * <pre>{@code
 * PCollection<SyncResult> copied = toCopy.apply(CopyObjects.between(sourceSide, targetSide, settings));
 * }</pre>
 */
public final class CopyObjects extends PTransform<PCollection<SyncAction>, PCollection<SyncResult>> {
  private final SyncSide from;
  private final SyncSide to;
  /** The sides' endpoints and locations where they are buckets, else null. */
  private final S3Endpoint sourceEndpoint;
  private final S3Location source;
  private final S3Endpoint targetEndpoint;
  private final S3Location target;
  private final CopySettings settings;
  private final double maxBytesPerSecond;
  private final int lanes;

  private CopyObjects(SyncSide from, SyncSide to, CopySettings settings, double maxBytesPerSecond, int lanes) {
    this.from = from;
    this.to = to;
    this.sourceEndpoint = from instanceof SyncSide.Bucket b ? b.endpoint() : null;
    this.source = from instanceof SyncSide.Bucket b ? b.location() : null;
    this.targetEndpoint = to instanceof SyncSide.Bucket b ? b.endpoint() : null;
    this.target = to instanceof SyncSide.Bucket b ? b.location() : null;
    this.settings = settings;
    this.maxBytesPerSecond = maxBytesPerSecond;
    this.lanes = lanes;
  }

  public static CopyObjects between(SyncSide from, SyncSide to, CopySettings settings) {
    return new CopyObjects(from, to, settings, 0, 0);
  }

  public static CopyObjects between(S3Endpoint sourceEndpoint, S3Location source, S3Endpoint targetEndpoint,
      S3Location target, CopySettings settings) {
    return between(new SyncSide.Bucket(sourceEndpoint, source), new SyncSide.Bucket(targetEndpoint, target), settings);
  }

  /**
   * Bounds the bytes copied per second across all workers, counted from object sizes: the copies
   * run in {@code lanes} sequences, each paced at its share of the rate.
   */
  public CopyObjects withMaxThroughput(double bytesPerSecond, int lanes) {
    if (!(bytesPerSecond > 0) || lanes < 1) {
      throw new IllegalArgumentException("a throughput bound needs a positive rate and at least one lane");
    }
    return new CopyObjects(from, to, settings, bytesPerSecond, lanes);
  }

  @Override
  public PCollection<SyncResult> expand(PCollection<SyncAction> actions) {
    if (lanes == 0) {
      // No grouping step: copies start as soon as the plan decides them, several per bundle at once.
      return actions.apply("Copy", ParDo.of(new InFlightFn(this))).setCoder(SyncResult.coder());
    }
    return actions
        .apply("Into lanes", WithKeys.of((SyncAction a) -> Math.floorMod(a.key().hashCode(), lanes))
            .withKeyType(TypeDescriptors.integers()))
        .setCoder(KvCoder.of(VarIntCoder.of(), SyncAction.coder()))
        .apply("Group", GroupByKey.create())
        .apply("Copy at the bound", ParDo.of(new LaneFn(this))).setCoder(SyncResult.coder());
  }

  /**
   * Copies as they come: a copy is a few requests that mostly wait on the server, so up to the
   * settings' {@code inFlight} run at once (bounded per worker by the shared pool), with as many
   * more queued so that a copy thread that finishes one finds the next waiting; each result goes
   * out when the bundle's thread next looks (one slow copy, a large object, holds back no other),
   * and the bundle ends when its last copy has.
   */
  private static final class InFlightFn extends DoFn<SyncAction, SyncResult> {
    private final CopyFn copier;
    private transient CopiesInFlight<SyncResult> copies;

    InFlightFn(CopyObjects spec) {
      this.copier = new CopyFn(spec);
    }

    @StartBundle
    public void start() {
      copies = new CopiesInFlight<>(CopyFn.copies(copier.spec.settings.inFlight()));
    }

    @ProcessElement
    public void process(@Element SyncAction a, OutputReceiver<SyncResult> out) throws InterruptedException {
      copies.submit(() -> copier.copyOne(a));
      int window = copier.spec.settings.inFlight();
      if (copies.pending() >= 2 * window) {
        // Woken once a quarter of the queue has finished, not for each copy.
        copies.awaitRunning(2 * window - Math.max(1, window / 2));
      }
      for (Future<SyncResult> done = copies.poll(); done != null; done = copies.poll()) {
        out.output(copier.counted(CopyFn.await(done)));
      }
    }

    @FinishBundle
    public void finish(FinishBundleContext ctx) throws InterruptedException {
      copies.awaitRunning(0);
      for (Future<SyncResult> done = copies.poll(); done != null; done = copies.poll()) {
        ctx.output(copier.counted(CopyFn.await(done)), GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
    }
  }

  /** One lane: its copies one after another, paced at the lane's share of the bound. */
  private static final class LaneFn extends DoFn<KV<Integer, Iterable<SyncAction>>, SyncResult> {
    private final CopyFn copier;
    private final double bytesPerSecond;
    private final boolean dryRun;

    LaneFn(CopyObjects spec) {
      this.copier = new CopyFn(spec);
      this.bytesPerSecond = spec.maxBytesPerSecond / spec.lanes;
      this.dryRun = spec.settings.dryRun();
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<SyncAction>> lane, OutputReceiver<SyncResult> out)
        throws InterruptedException {
      Throttle throttle = new Throttle(bytesPerSecond);
      for (SyncAction a : lane.getValue()) {
        out.output(copier.counted(copier.copyOne(a)));
        if (!dryRun) {
          throttle.acquire(a.source().size());
        }
      }
    }
  }

  /** The copy of one object, with its retries; used by the group and lane functions. */
  private static final class CopyFn implements java.io.Serializable {
    private static final int MAX_ATTEMPTS = 4;
    /** Whole-object copies of all bundles in this JVM, sized by the first settings that use it. */
    private static ExecutorService copies;
    /** Part copies of all copies in this JVM; a part is one request, so threads mostly wait. */
    private static final ExecutorService PARTS = Executors.newFixedThreadPool(16, r -> {
      Thread t = new Thread(r, "s3-part-copy");
      t.setDaemon(true);
      return t;
    });

    private final CopyObjects spec;
    private final Counter copied = Counters.counter(SyncCounters.OBJECTS_COPIED);
    private final Counter bytesCopied = Counters.counter(SyncCounters.BYTES_COPIED);
    private final Counter failed = Counters.counter(SyncCounters.OBJECTS_FAILED);

    CopyFn(CopyObjects spec) {
      this.spec = spec;
    }

    static synchronized ExecutorService copies(int threads) {
      if (copies == null) {
        copies = Executors.newFixedThreadPool(threads, r -> {
          Thread t = new Thread(r, "s3-copy");
          t.setDaemon(true);
          return t;
        });
      }
      return copies;
    }

    static SyncResult await(Future<SyncResult> f) throws InterruptedException {
      try {
        return f.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      }
    }

    /** Counts a result here, on the DoFn's thread: metrics belong to the thread that reports them. */
    SyncResult counted(SyncResult r) {
      if (r.action().equals("copied")) {
        copied.inc();
        bytesCopied.inc(r.size());
      } else if (r.action().equals("failed")) {
        failed.inc();
      }
      return r;
    }

    /** One copy with its retries, as a result (never throws for an S3 failure). */
    SyncResult copyOne(SyncAction a) throws InterruptedException {
      ObjectInfo s = a.source();
      String targetEtag = a.target() == null ? "" : a.target().etag();
      if (spec.settings.dryRun()) {
        return new SyncResult(a.key(), "would copy", a.reason(), s.size(), s.etag(), targetEtag, 0);
      }
      for (int attempt = 1; ; attempt++) {
        try {
          String etag = copy(a.key(), s);
          return new SyncResult(a.key(), "copied", a.reason(), s.size(), s.etag(), etag, attempt);
        } catch (SdkException | IOException | UncheckedIOException e) {
          if (e instanceof SdkException sdk && S3Errors.isPreconditionFailed(sdk)) {
            return new SyncResult(a.key(), "failed", "the source object changed since it was listed"
                + " (run again to copy its new version)", s.size(), s.etag(), targetEtag, attempt);
          }
          if (e instanceof SourceChangedException || e instanceof Directory.UnfitKeyException) {
            return new SyncResult(a.key(), "failed", e.getMessage(), s.size(), s.etag(), targetEtag, attempt);
          }
          if (attempt >= MAX_ATTEMPTS || !retryable(e)) {
            return new SyncResult(a.key(), "failed", describe(a.key(), e), s.size(), s.etag(), targetEtag, attempt);
          }
          Thread.sleep(200L << attempt);
        }
      }
    }

    private String describe(String key, Exception e) {
      String what = "copying " + spec.from.describe() + key + " to " + spec.to.describe();
      if (e instanceof SdkException sdk) {
        return S3Errors.describe(what, spec.targetEndpoint != null ? spec.targetEndpoint : spec.sourceEndpoint, sdk);
      }
      return what + ": " + e.getMessage();
    }

    /**
     * S3's throttling and server errors, the client's own (connections, timeouts), and I/O errors
     * but a local file's (no such directory, not empty, no permission: another try ends the same).
     */
    private static boolean retryable(Exception e) {
      if (e instanceof java.nio.file.FileSystemException) {
        return false;
      }
      if (e instanceof SdkClientException || e instanceof IOException || e instanceof UncheckedIOException) {
        return true;
      }
      return e instanceof S3Exception s3 && S3Http.retryable(s3);
    }

    /** Copies one object; returns the target's new ETag. */
    private String copy(String key, ObjectInfo s) throws IOException {
      if (spec.sourceEndpoint == null || spec.targetEndpoint == null) {
        return new DirectoryCopies(spec.from, spec.to, spec.settings).copy(key, s, storageClass(s));
      }
      boolean serverSide = spec.sourceEndpoint.sameServiceAs(spec.targetEndpoint);
      if (serverSide && s.size() < spec.settings.multipartThreshold()) {
        return copyWhole(key, s);
      }
      return serverSide ? copyParts(key, s) : stream(key, s);
    }

    /** The copy's storage class; null (the default, STANDARD) is sent as no header at all. */
    private String storageClass(ObjectInfo s) {
      String c = spec.settings.storageClass() != null ? spec.settings.storageClass() : s.storageClass();
      return "STANDARD".equals(c) ? null : c;
    }

    private String copyWhole(String key, ObjectInfo s) {
      return CopyObjectCall.copy(spec.targetEndpoint, spec.source.bucket(), spec.source.key(key), spec.target.bucket(),
          spec.target.key(key), s.etag(), written(s));
    }

    /** The headers that set how a server-side copy is stored: storage class, ACL, encryption. */
    private Map<String, String> written(ObjectInfo s) {
      Map<String, String> headers = new HashMap<>();
      String storageClass = storageClass(s);
      if (storageClass != null) {
        headers.put("x-amz-storage-class", storageClass);
      }
      if (spec.settings.acl() != null) {
        headers.put("x-amz-acl", spec.settings.acl());
      }
      if (spec.settings.sse() != null) {
        headers.put("x-amz-server-side-encryption", spec.settings.sse());
        if (spec.settings.kmsKeyId() != null) {
          headers.put("x-amz-server-side-encryption-aws-kms-key-id", spec.settings.kmsKeyId());
        }
      }
      return headers;
    }

    /** The metadata a new upload needs to look like the source. */
    private CreateMultipartUploadRequest.Builder upload(String key, ObjectInfo s, String contentType,
        String cacheControl, String disposition, String encoding, String language, java.time.Instant expires,
        java.util.Map<String, String> metadata, String tagging) {
      CreateMultipartUploadRequest.Builder r = CreateMultipartUploadRequest.builder()
          .bucket(spec.target.bucket()).key(spec.target.key(key))
          .contentType(contentType).cacheControl(cacheControl).contentDisposition(disposition)
          .contentEncoding(encoding).contentLanguage(language).expires(expires).metadata(metadata)
          .storageClass(storageClass(s));
      if (!tagging.isEmpty()) {
        r.tagging(tagging);
      }
      return spec.settings.applyTo(r);
    }

    private String copyParts(String key, ObjectInfo s) {
      String sourceKey = spec.source.key(key);
      String targetKey = spec.target.key(key);
      // The upload takes the source's metadata and tags, as CopyObject's COPY directives do.
      Map<String, String> headers = MultipartCopyCall.metadata(spec.sourceEndpoint, spec.source.bucket(), sourceKey,
          s.etag());
      headers.putAll(written(s));
      String tagging = MultipartCopyCall.tagging(spec.sourceEndpoint, spec.source.bucket(), sourceKey);
      if (!tagging.isEmpty()) {
        headers.put("x-amz-tagging", tagging);
      }
      S3Endpoint to = spec.targetEndpoint;
      String uploadId = MultipartCopyCall.create(to, spec.target.bucket(), targetKey, headers);
      try {
        long partSize = spec.settings.partSizeFor(s.size());
        List<Future<String>> parts = new ArrayList<>();
        for (long start = 0, n = 1; start < s.size(); start += partSize, n++) {
          long first = start;
          long last = Math.min(s.size(), start + partSize) - 1;
          int number = (int) n;
          parts.add(PARTS.submit(() -> MultipartCopyCall.copyPart(to, spec.source.bucket(), sourceKey, s.etag(),
              spec.target.bucket(), targetKey, uploadId, number, first, last)));
        }
        return MultipartCopyCall.complete(to, spec.target.bucket(), targetKey, uploadId, await(parts));
      } catch (RuntimeException e) {
        MultipartCopyCall.abort(to, spec.target.bucket(), targetKey, uploadId);
        throw e;
      }
    }

    private String stream(String key, ObjectInfo s) {
      try (ResponseInputStream<GetObjectResponse> in = spec.sourceEndpoint.client().getObject(b -> b
          .bucket(spec.source.bucket()).key(spec.source.key(key)).ifMatch(quoted(s.etag())))) {
        GetObjectResponse m = in.response();
        String tagging = MultipartCopyCall.tagging(spec.sourceEndpoint, spec.source.bucket(), spec.source.key(key));
        if (s.size() < spec.settings.multipartThreshold()) {
          PutObjectRequest.Builder r = PutObjectRequest.builder().bucket(spec.target.bucket()).key(spec.target.key(key))
              .contentType(m.contentType()).cacheControl(m.cacheControl()).contentDisposition(m.contentDisposition())
              .contentEncoding(m.contentEncoding()).contentLanguage(m.contentLanguage()).expires(m.expires())
              .metadata(m.metadata()).storageClass(storageClass(s));
          if (!tagging.isEmpty()) {
            r.tagging(tagging);
          }
          return ListObjects.unquote(spec.targetEndpoint.client()
              .putObject(spec.settings.applyTo(r).build(), RequestBody.fromInputStream(in, s.size())).eTag());
        }
        String uploadId = spec.targetEndpoint.client().createMultipartUpload(upload(key, s, m.contentType(),
            m.cacheControl(), m.contentDisposition(), m.contentEncoding(), m.contentLanguage(), m.expires(),
            m.metadata(), tagging).build()).uploadId();
        try {
          // The GET is pinned to the listed ETag, so the stream is the listed size.
          StreamedParts parts = StreamedParts.upload(spec.targetEndpoint.client(), spec.target.bucket(),
              spec.target.key(key), uploadId, in, (int) spec.settings.partSizeFor(s.size()), s.size(),
              () -> new IOException("the source gave more than its listed " + s.size() + " bytes"));
          return complete(key, uploadId, parts.parts());
        } catch (IOException | RuntimeException e) {
          abort(key, uploadId);
          throw e instanceof RuntimeException r ? r : SdkClientException.create("reading the source failed", e);
        }
      } catch (IOException e) {
        throw SdkClientException.create("reading the source failed: " + e.getMessage(), e);
      }
    }

    private String complete(String key, String uploadId, List<CompletedPart> parts) {
      return StreamedParts.complete(spec.targetEndpoint.client(), spec.target.bucket(), spec.target.key(key), uploadId,
          parts);
    }

    private void abort(String key, String uploadId) {
      StreamedParts.abort(spec.targetEndpoint.client(), spec.target.bucket(), spec.target.key(key), uploadId);
    }

    private static <T> List<T> await(List<Future<T>> parts) {
      List<T> done = new ArrayList<>();
      try {
        for (Future<T> f : parts) {
          done.add(f.get());
        }
      } catch (ExecutionException e) {
        parts.forEach(f -> f.cancel(true));
        throw e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw SdkClientException.create("interrupted while copying parts", e);
      }
      return done;
    }

    private static String quoted(String etag) {
      return "\"" + etag + "\"";
    }

  }
}
