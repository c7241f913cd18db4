package io.replicator.verify;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.junit.Rule;
import org.junit.Test;

public class CompareTablesTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static Change row(int id, String v) {
    return new Change("t", ChangeOp.UPSERT, "[" + id + "]", Sequence.of(0), "\"id\":" + id + ",\"v\":\"" + v + "\"");
  }

  @Test
  public void namesMissingExtraAndDifferentKeysWhateverTheOrder() {
    List<Change> source = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      source.add(row(i, "v" + i));
    }
    List<Change> target = new ArrayList<>(source);
    target.remove(7);                    // key 7 missing in the target
    target.set(41, row(42, "changed"));  // key 42 (at index 41 after the removal) different
    target.add(row(5000, "extra"));      // key 5000 not in the source
    Collections.shuffle(target, new java.util.Random(3));
    PCollection<Change> s = p.apply("Source", Create.of(source).withCoder(ChangeCoder.of()));
    PCollection<Change> t = p.apply("Target", Create.of(target).withCoder(ChangeCoder.of()));
    PCollection<String> diffs = PCollectionList.of(s).and(t).apply(CompareTables.inGroups(1));
    PAssert.that(diffs).containsInAnyOrder("{\"group\":0,\"source_rows\":1000,\"target_rows\":1000,"
        + "\"missing_in_target\":1,\"missing_in_target_keys\":[\"[7]\"],\"not_in_source\":1,\"not_in_source_keys\":[\"[5000]\"],"
        + "\"different\":1,\"different_keys\":[\"[42]\"]}");
    p.run().waitUntilFinish();
  }

  @Test
  public void equalTablesInAnyOrderProduceNothing() {
    List<Change> rows = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      rows.add(row(i, "한" + i));
    }
    List<Change> shuffled = new ArrayList<>(rows);
    Collections.shuffle(shuffled, new java.util.Random(9));
    PCollection<String> diffs = PCollectionList.of(p.apply("S", Create.of(rows).withCoder(ChangeCoder.of())))
        .and(p.apply("T", Create.of(shuffled).withCoder(ChangeCoder.of())))
        .apply(CompareTables.inGroups(8));
    PAssert.that(diffs).empty();
    p.run().waitUntilFinish();
  }

  @Test
  public void fingerprintsSeeOneCharacter() {
    assertNotEquals(RowFingerprint.of("\"v\":\"a\""), RowFingerprint.of("\"v\":\"b\""));
    assertEquals(RowFingerprint.of("x"), RowFingerprint.of("x"));
    assertTrue(RowFingerprint.of("") != 0);
  }
}
