package io.replicator.s3;

import io.replicator.common.Counters;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Lists every object under a location with ListObjectsV2 (no request per object). The first
 * level below the prefix is listed with a delimiter, and each sub-prefix it finds is then listed
 * on its own, spread across workers.
 *
 * <pre>{@code
 * PCollection<ObjectInfo> source = pipeline.apply("List source",
 *     ListObjects.of(new S3Endpoint(null, "eu-west-1", false, null), S3Location.parse("--source", "s3://b/data")));
 * }</pre>
 */
public final class ListObjects extends PTransform<PBegin, PCollection<ObjectInfo>> {
  private static final TupleTag<ObjectInfo> OBJECTS = new TupleTag<>() {};
  private static final TupleTag<String> PREFIXES = new TupleTag<>() {};

  private final S3Endpoint endpoint;
  private final S3Location location;
  private final String side;

  private ListObjects(S3Endpoint endpoint, S3Location location, String side) {
    this.endpoint = endpoint;
    this.location = location;
    this.side = side;
  }

  /** Lists {@code location}; {@code side} ({@code source}, {@code target}) names its counters. */
  public static ListObjects of(S3Endpoint endpoint, S3Location location, String side) {
    return new ListObjects(endpoint, location, side);
  }

  @Override
  public PCollection<ObjectInfo> expand(PBegin begin) {
    PCollectionTuple top = begin
        .apply("Top level", Create.of(location.prefix()).withCoder(StringUtf8Coder.of()))
        .apply("List top level", ParDo.of(new ListFn(endpoint, location, side, true))
            .withOutputTags(OBJECTS, TupleTagList.of(PREFIXES)));
    PCollection<ObjectInfo> below = top.get(PREFIXES).setCoder(StringUtf8Coder.of())
        .apply("Spread prefixes", Reshuffle.viaRandomKey())
        .apply("List prefixes", ParDo.of(new ListFn(endpoint, location, side, false))
            .withOutputTags(OBJECTS, TupleTagList.empty()))
        .get(OBJECTS).setCoder(ObjectInfo.coder());
    return PCollectionList.of(top.get(OBJECTS).setCoder(ObjectInfo.coder())).and(below)
        .apply("All objects", Flatten.pCollections());
  }

  /** Lists one prefix: with a delimiter at the top (emitting sub-prefixes), in full below it. */
  private static final class ListFn extends DoFn<String, ObjectInfo> {
    private final S3Endpoint endpoint;
    private final S3Location location;
    private final boolean top;
    private final Counter objects;
    private final Counter bytes;

    ListFn(S3Endpoint endpoint, S3Location location, String side, boolean top) {
      this.endpoint = endpoint;
      this.location = location;
      this.top = top;
      this.objects = Counters.counter(SyncCounters.objectsListed(side));
      this.bytes = Counters.counter(SyncCounters.bytesListed(side));
    }

    @ProcessElement
    public void process(@Element String prefix, MultiOutputReceiver out) {
      String token = null;
      do {
        ListObjectsCall.Page page;
        try {
          page = ListObjectsCall.list(endpoint, location.bucket(), prefix, top ? "/" : null, token, 1000);
        } catch (SdkException e) {
          throw new S3SyncException(S3Errors.describe("listing " + "s3://" + location.bucket() + "/" + prefix,
              endpoint, e), e);
        }
        for (ObjectInfo o : page.objects()) {
          objects.inc();
          bytes.inc(o.size());
          out.get(OBJECTS).output(new ObjectInfo(location.relative(o.key()), o.size(), o.etag(), o.lastModified(),
              o.storageClass()));
        }
        if (top) {
          page.prefixes().forEach(p -> out.get(PREFIXES).output(p));
        }
        token = page.nextToken();
      } while (token != null);
    }
  }

  /**
   * Lists at most one key of {@code location}, so that a missing bucket or refused credentials
   * fail before a job starts.
   *
   * @throws SdkException as S3 or the connection failed
   */
  public static void probe(S3Endpoint endpoint, S3Location location) {
    ListObjectsCall.list(endpoint, location.bucket(), location.prefix(), null, null, 1);
  }

  /**
   * Loads and initialises what a process's first listing needs (the HTTP client, the signer, the
   * XML reader) without sending anything: a command that calls this on a thread of its own while
   * it parses its options has it done by its first request.
   */
  public static void initializeClasses() {
    ListObjectsCall.initializeClasses();
  }

  static String unquote(String etag) {
    return etag == null ? "" : etag.replace("\"", "");
  }
}
