package io.replicator.s3;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
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
    return render(PCollectionList.of(s).and(t).apply(plan), "Render");
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
  public void targetOnlyKeysAreFoundAcrossManyBundles() {
    targetOnlyKeysAreFoundAcrossManyBundles(false);
  }

  @Test
  public void targetOnlyKeysLookedUpByKeyAreFoundAcrossManyBundles() {
    targetOnlyKeysAreFoundAcrossManyBundles(true);
  }

  /**
   * 12 source listings (a bundle each) of 20 keys; the target holds every other one of those keys
   * (up to date or not) and 60 of its own. Exactly its own are deleted; every source key is
   * decided once, with a first sync's empty target and a source of nothing as edge cases.
   */
  private void targetOnlyKeysAreFoundAcrossManyBundles(boolean byKey) {
    List<PCollection<ObjectInfo>> sources = new ArrayList<>();
    List<ObjectInfo> target = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int b = 0; b < 12; b++) {
      List<ObjectInfo> listing = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String key = "p" + b + "/k" + i;
        listing.add(o(key, 10, "e", 100, "STANDARD"));
        if (i % 2 == 0) {
          target.add(o(key, i % 4 == 0 ? 10 : 11, "e", 200, "STANDARD"));
          expected.add(key + (i % 4 == 0 ? " SKIP up to date" : " COPY size differs"));
        } else {
          expected.add(key + " COPY missing at the target");
        }
      }
      sources.add(p.apply("Source " + b, Create.of(listing).withCoder(ObjectInfo.coder())));
    }
    for (int i = 0; i < 60; i++) {
      target.add(o("p" + i % 12 + "/only-" + i, 1, "x", 50, "STANDARD"));
      expected.add("p" + i % 12 + "/only-" + i + " DELETE not at the source");
    }
    PlanSync plan = PlanSync.with(PlanSync.Compare.DEFAULT, KeyFilter.NONE, true);
    plan = byKey ? plan.lookingUpByKey() : plan;
    PCollection<ObjectInfo> source = PCollectionList.of(sources).apply("Listings", Flatten.pCollections());
    PCollection<ObjectInfo> targets = p.apply("Target", Create.of(target).withCoder(ObjectInfo.coder()));
    PCollection<ObjectInfo> none = p.apply("Nothing", Create.empty(ObjectInfo.coder()));
    PAssert.that(render(PCollectionList.of(source).and(targets).apply("Plan", plan), "Render"))
        .containsInAnyOrder(expected);
    // A first sync: nothing at the target, so nothing to delete.
    PAssert.that(render(PCollectionList.of(source).and(none).apply("First sync", plan), "Render first"))
        .satisfies(lines -> allAre(lines, " COPY missing at the target", 240));
    // A source of nothing: the whole target goes.
    int targetCount = target.size();
    PAssert.that(render(PCollectionList.of(none).and(targets).apply("Empty source", plan), "Render empty"))
        .satisfies(lines -> allAre(lines, " DELETE not at the source", targetCount));
    p.run();
  }

  private static Void allAre(Iterable<String> lines, String decision, int count) {
    int n = 0;
    for (String l : lines) {
      assertTrue(l, l.endsWith(decision));
      n++;
    }
    assertEquals(count, n);
    return null;
  }

  private static PCollection<String> render(PCollection<SyncAction> actions, String name) {
    return actions.apply(name, MapElements.into(TypeDescriptors.strings())
        .via(a -> a.key() + " " + a.kind() + " " + a.reason()));
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
