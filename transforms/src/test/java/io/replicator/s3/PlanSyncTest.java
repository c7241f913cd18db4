package io.replicator.s3;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Rule;
import org.junit.Test;

/** The plan per key, on the DirectRunner: every source and target key gets exactly one decision. */
public class PlanSyncTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static ObjectInfo o(String key, long size, String etag, long modified, String storageClass) {
    return new ObjectInfo(key, size, etag, modified, storageClass);
  }

  private PCollection<String> plan(List<ObjectInfo> source, List<ObjectInfo> target, PlanSync.Compare compare,
      KeyFilter filter, boolean delete) {
    return plan(source, target, PlanSync.with(compare, filter, delete));
  }

  private PCollection<String> plan(List<ObjectInfo> source, List<ObjectInfo> target, PlanSync plan) {
    PCollection<ObjectInfo> s = p.apply("Source", Create.of(source).withCoder(ObjectInfo.coder()));
    PCollection<ObjectInfo> t = p.apply("Target", Create.of(target).withCoder(ObjectInfo.coder()));
    return PCollectionList.of(s).and(t).apply(plan)
        .apply(MapElements.into(TypeDescriptors.strings()).via(a -> a.key() + " " + a.kind() + " " + a.reason()));
  }

  @Test
  public void decidesAsAwsS3SyncDoes() {
    decidesAsAwsS3SyncDoes(false);
  }

  @Test
  public void targetsLookedUpByKeyGiveTheSameDecisions() {
    decidesAsAwsS3SyncDoes(true);
  }

  private void decidesAsAwsS3SyncDoes(boolean byKey) {
    List<ObjectInfo> source = List.of(
        o("new.txt", 5, "e1", 100, "STANDARD"),
        o("same.txt", 5, "e2", 100, "STANDARD"),
        o("bigger.txt", 9, "e3", 100, "STANDARD"),
        o("newer.txt", 5, "e4", 300, "STANDARD"),
        o("cold.bin", 5, "e5", 100, "DEEP_ARCHIVE"),
        o("dir/", 0, "d41d8cd98f00b204e9800998ecf8427e", 100, "STANDARD"),
        o("skip.tmp", 5, "e6", 100, "STANDARD"));
    List<ObjectInfo> target = List.of(
        o("same.txt", 5, "other", 200, "STANDARD"),
        o("bigger.txt", 5, "e3", 200, "STANDARD"),
        o("newer.txt", 5, "e4", 200, "STANDARD"),
        o("extra.txt", 1, "x", 50, "STANDARD"),
        o("extra.tmp", 1, "x", 50, "STANDARD"));
    KeyFilter noTmp = new KeyFilter(List.of(new KeyFilter.Rule(false, "*.tmp")));
    PlanSync plan = PlanSync.with(PlanSync.Compare.DEFAULT, noTmp, true);
    PAssert.that(plan(source, target, byKey ? plan.lookingUpByKey() : plan)).containsInAnyOrder(
        "new.txt COPY missing at the target",
        "same.txt SKIP up to date",
        "bigger.txt COPY size differs",
        "newer.txt COPY source newer",
        "cold.bin ARCHIVED stored in DEEP_ARCHIVE: restore it before it can be copied (missing at the target)",
        "dir/ SKIP folder marker (aws s3 sync skips them)",
        "skip.tmp EXCLUDED excluded by the filters",
        "extra.txt DELETE not at the source",
        "extra.tmp EXCLUDED excluded by the filters (never deleted)");
    p.run();
  }

  @Test
  public void etagAndSizeOnlyModes() {
    List<ObjectInfo> source = new ArrayList<>(List.of(
        o("a", 5, "aaa", 300, "STANDARD"), o("b", 5, "bbb", 100, "STANDARD"), o("c", 5, "ccc-2", 300, "STANDARD")));
    List<ObjectInfo> target = List.of(
        o("a", 5, "aaa", 200, "STANDARD"), o("b", 5, "xxx", 200, "STANDARD"), o("c", 5, "yyy", 200, "STANDARD"));
    PAssert.that(plan(source, target, PlanSync.Compare.ETAG, KeyFilter.NONE, false)).containsInAnyOrder(
        "a SKIP up to date", "b COPY etag differs", "c COPY source newer (multipart etag not comparable)");
    p.run();
  }

  @Test
  public void withoutDeleteTargetOnlyKeysAreReportedAndKept() {
    PAssert.that(plan(List.of(), List.of(o("only-here", 1, "x", 1, "STANDARD")), PlanSync.Compare.SIZE_ONLY,
        KeyFilter.NONE, false)).containsInAnyOrder("only-here SKIP only at the target (no --delete)");
    p.run();
  }
}
