package io.replicator.batch;

import static org.junit.Assert.assertEquals;

import io.replicator.change.Change;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.Test;

public class LatestPerKeyTest {
  @Test
  public void sameResultForAnyOrderAndDuplicates() {
    Random random = new Random(7);
    List<Change> changes = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      int key = random.nextInt(50);
      long seq = random.nextInt(40); // many ties on purpose
      ChangeOp op = random.nextInt(4) == 0 ? ChangeOp.DELETE : ChangeOp.UPSERT;
      changes.add(new Change("t", op, "[" + key + "]", Sequence.of(seq), "\"v\":" + random.nextInt(3)));
    }
    List<Change> expected = LatestPerKey.of(changes);
    for (int round = 0; round < 20; round++) {
      List<Change> shuffled = new ArrayList<>(changes);
      shuffled.addAll(changes.subList(0, random.nextInt(changes.size())));
      Collections.shuffle(shuffled, random);
      assertEquals(expected, LatestPerKey.of(shuffled));
    }
    assertEquals(50, expected.size());
  }

  @Test
  public void sortedByKeyOrdersByHashThenKeyAndKeepsAKeysChangesInOrder() {
    // "Aa" and "BB" share a hash, as do "AaAa", "BBBB", "AaBB" and "BBAa": ties are broken by the key.
    Random random = new Random(5);
    List<String> keys = new ArrayList<>(List.of("[\"Aa\"]", "[\"BB\"]", "[\"AaAa\"]", "[\"BBBB\"]", "[\"AaBB\"]",
        "[\"BBAa\"]"));
    for (int i = 0; i < 2000; i++) {
      keys.add("[" + random.nextInt(100_000) + "]");
    }
    LatestPerKey latest = new LatestPerKey();
    for (String key : keys) {
      latest.add(new Change("t", ChangeOp.UPSERT, key, Sequence.of(1), "\"v\":1"));
      latest.add(new Change("t", ChangeOp.UPSERT, key, Sequence.of(2), "\"v\":2", "[\"w\"]"));
      latest.add(new Change("t", ChangeOp.UPSERT, key, Sequence.of(3), "\"v\":3", "[\"w\"]"));
    }
    List<Change> expected = new ArrayList<>(latest.winners());
    expected.sort((a, b) -> {
      int h = Integer.compare(a.key().hashCode(), b.key().hashCode());
      return h != 0 ? h : a.key().compareTo(b.key());
    });
    assertEquals(expected, latest.sortedByKey());
  }

  @Test
  public void keyChangeChainInOneBatch() {
    // k1 -> k2 at 2, k2 -> k3 at 3: k1 and k2 end deleted, k3 holds the row.
    List<Change> in = List.of(
        new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(1), "\"id\":1"),
        new Change("t", ChangeOp.DELETE, "[1]", Sequence.of(2), "\"id\":1"),
        new Change("t", ChangeOp.UPSERT, "[2]", Sequence.of(2), "\"id\":2"),
        new Change("t", ChangeOp.DELETE, "[2]", Sequence.of(3), "\"id\":2"),
        new Change("t", ChangeOp.UPSERT, "[3]", Sequence.of(3), "\"id\":3"));
    List<Change> out = LatestPerKey.of(in);
    assertEquals(ChangeOp.DELETE, out.get(0).op());
    assertEquals(ChangeOp.DELETE, out.get(1).op());
    assertEquals(ChangeOp.UPSERT, out.get(2).op());
  }

  @Test
  public void combineFnMergesPartialResultsLikeOnePass() throws Exception {
    Random random = new Random(11);
    List<Change> changes = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      changes.add(new Change("t", random.nextBoolean() ? ChangeOp.UPSERT : ChangeOp.DELETE,
          "[" + random.nextInt(40) + "]", Sequence.of(random.nextInt(30)), "\"v\":" + random.nextInt(5)));
    }
    LatestPerKeyFn fn = new LatestPerKeyFn();
    List<LatestPerKey> parts = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      LatestPerKey acc = fn.createAccumulator();
      for (int i = p; i < changes.size(); i += 4) {
        fn.addInput(acc, changes.get(i));
      }
      // Partial results cross the shuffle through the coder.
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      LatestPerKeyFn.AccumulatorCoder.of().encode(acc, bytes);
      parts.add(LatestPerKeyFn.AccumulatorCoder.of().decode(new java.io.ByteArrayInputStream(bytes.toByteArray())));
    }
    LatestPerKey merged = fn.extractOutput(fn.mergeAccumulators(parts));
    assertEquals(LatestPerKey.of(changes), merged.sortedByKey());
    assertEquals(500, merged.added());
    org.apache.beam.sdk.testing.CoderProperties.coderSerializable(LatestPerKeyFn.AccumulatorCoder.of());
  }

  /**
   * Histories of full and partial updates and deletes of one key, shuffled, duplicated and cut
   * across accumulators that go through their coder: what is kept is the latest full change and
   * every partial change after it, oldest first, whatever the arrival.
   */
  @Test
  public void keepsTheLatestFullChangeAndThePartialOnesAfterItInOrder() throws Exception {
    Random random = new Random(23);
    for (int round = 0; round < 200; round++) {
      List<Change> history = new ArrayList<>();
      int lastFull = -1;
      for (int seq = 1; seq <= 8; seq++) {
        int dice = random.nextInt(10);
        if (dice < 2) {
          history.add(new Change("t", ChangeOp.DELETE, "[1]", Sequence.of(seq), "\"id\":1"));
          lastFull = history.size() - 1;
        } else if (dice < 5) {
          history.add(new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(seq), "\"id\":1,\"a\":" + seq));
          lastFull = history.size() - 1;
        } else {
          history.add(new Change("t", ChangeOp.UPSERT, "[1]", Sequence.of(seq), "\"id\":1,\"a\":" + seq,
              random.nextBoolean() ? "[\"doc\"]" : "[\"b\",\"doc\"]"));
        }
      }
      List<Change> shuffled = new ArrayList<>(history);
      shuffled.addAll(history.subList(0, random.nextInt(history.size())));
      Collections.shuffle(shuffled, random);
      LatestPerKeyFn fn = new LatestPerKeyFn();
      List<LatestPerKey> parts = new ArrayList<>();
      for (int p = 0; p < 3; p++) {
        LatestPerKey acc = fn.createAccumulator();
        for (int i = p; i < shuffled.size(); i += 3) {
          fn.addInput(acc, shuffled.get(i));
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        LatestPerKeyFn.AccumulatorCoder.of().encode(acc, bytes);
        parts.add(LatestPerKeyFn.AccumulatorCoder.of().decode(new java.io.ByteArrayInputStream(bytes.toByteArray())));
      }
      List<Change> out = fn.extractOutput(fn.mergeAccumulators(parts)).sortedByKey();
      assertEquals(history.toString(), history.subList(Math.max(lastFull, 0), history.size()), out);
      assertEquals(out, LatestPerKey.of(history));
    }
  }
}
