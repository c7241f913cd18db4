package io.replicator.common;

import static org.junit.Assert.assertEquals;

import io.replicator.change.StagedBatch;
import io.replicator.s3.ObjectInfo;
import io.replicator.s3.SyncAction;
import io.replicator.source.DeadLetter;
import io.replicator.stream.SourceEvent;
import io.replicator.warehouse.spi.MergeResult;
import io.replicator.warehouse.spi.ReloadResult;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.Test;

/** Every small value round-trips through its coder, nulls and non-ASCII included, and the coder survives serialization. */
public class RecordCoderTest {
  @Test
  public void valuesRoundTripAndCodersStayEqualWhenSerialized() throws Exception {
    ObjectInfo info = new ObjectInfo("디렉터리/키 +%.txt", 42, "etag", 1_700_000_000_000L, "GLACIER");
    check(StagedBatch.coder(), new StagedBatch("t", "00ff", "gs://b/x", 3, 400, 2));
    check(DeadLetter.coder(), new DeadLetter("f.jsonl", 7, "{\"a\":\"\uFFFD\"}", "invalid UTF-8 at byte 7"));
    check(DeadLetter.coder(), new DeadLetter("f.jsonl", 8, "x", "why", "[1,\"k\"]"));
    check(SourceEvent.coder(), new SourceEvent("kafka:t/0", 5, null, null, null));
    check(SourceEvent.coder(), new SourceEvent("sub", 6, "{}", "ack", "invalid UTF-8 at byte 1"));
    check(ObjectInfo.coder(), info);
    check(SyncAction.coder(), new SyncAction("k", SyncAction.Kind.CHECK, "same size", info, null));
    MergeResult merged = new MergeResult("t", "reload", true, 1, 2, 3, 4, 5, 6, 7);
    check(MergeResult.coder(), merged);
    check(ReloadResult.coder(), new ReloadResult(merged, 8, 9, 10));
  }

  private static <T> void check(RecordCoder<T> coder, T value) throws Exception {
    CoderProperties.coderDecodeEncodeEqual(coder, value);
    CoderProperties.coderDeterministic(coder, value, value);
    assertEquals(coder, SerializableUtils.clone(coder));
  }
}
