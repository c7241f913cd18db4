package io.replicator.merge;

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
}
