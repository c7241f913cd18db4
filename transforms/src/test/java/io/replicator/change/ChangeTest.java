package io.replicator.change;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import org.apache.beam.sdk.testing.CoderProperties;
import org.junit.Test;

public class ChangeTest {
  private static Change c(ChangeOp op, String row, long... seq) {
    return new Change("t", op, "[1]", Sequence.of(seq), row);
  }

  @Test
  public void higherSequenceWins() {
    assertTrue(c(ChangeOp.DELETE, "", 6).supersedes(c(ChangeOp.UPSERT, "a", 5)));
    assertFalse(c(ChangeOp.UPSERT, "z", 5).supersedes(c(ChangeOp.DELETE, "", 6)));
  }

  @Test
  public void multiPartSequencesCompareInOrder() {
    assertTrue(Sequence.of(5, 2).compareTo(Sequence.of(5, 1)) > 0);
    assertTrue(Sequence.of(5, 0, 1).compareTo(Sequence.of(5, 9)) < 0);
    assertEquals(Sequence.of(5), Sequence.of(5, 0));
    assertEquals(Sequence.of(5).hashCode(), Sequence.of(5, 0, 0).hashCode());
    assertTrue(Sequence.of(-1).compareTo(Sequence.of(0)) < 0);
  }

  @Test
  public void tiesAreBrokenTheSameWayWhateverTheOrder() {
    Change up = c(ChangeOp.UPSERT, "a", 5);
    Change del = c(ChangeOp.DELETE, "", 5);
    assertTrue(up.supersedes(del));
    assertFalse(del.supersedes(up));
    Change a = c(ChangeOp.UPSERT, "a", 5);
    Change b = c(ChangeOp.UPSERT, "b", 5);
    assertTrue(b.supersedes(a));
    assertFalse(a.supersedes(b));
    assertFalse(a.supersedes(c(ChangeOp.UPSERT, "a", 5)));
  }

  @Test
  public void coderRoundTripsAndIsDeterministic() throws Exception {
    Change change = new Change("테이블", ChangeOp.DELETE, "[\"k\\\"\",2]", Sequence.of(1L << 40, -3, 7), "\"k\":\"x\"");
    CoderProperties.coderDecodeEncodeEqual(ChangeCoder.of(), change);
    CoderProperties.coderDeterministic(ChangeCoder.of(), change, change);
    CoderProperties.coderSerializable(ChangeCoder.of());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChangeCoder.of().encode(change, out);
    assertEquals(change, ChangeCoder.of().decode(new ByteArrayInputStream(out.toByteArray())));
    // A partial change, and one that moved from another key: both survive a spill file.
    Change partial = new Change("t", ChangeOp.UPSERT, "[2]", Sequence.of(9), "\"id\":2", "[\"body\"]");
    CoderProperties.coderDecodeEncodeEqual(ChangeCoder.of(), partial);
    Change moved = partial.movedFrom("[1]");
    CoderProperties.coderDecodeEncodeEqual(ChangeCoder.of(), moved);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ChangeCoder.of().encode(moved, bytes);
    assertEquals("[1]", ChangeCoder.of().decode(new ByteArrayInputStream(bytes.toByteArray())).movedFrom());
    assertEquals(partial, moved.withoutMove());
  }

  @Test
  public void jsonStringsEscapeWhatJsonRequires() {
    assertEquals("\"a\\\"b\\\\c\\n\\u001f\\u2028한\"", Json.quote("a\"b\\c\n\u001f\u2028한"));
  }
}
