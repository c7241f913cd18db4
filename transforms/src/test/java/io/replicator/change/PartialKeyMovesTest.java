package io.replicator.change;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class PartialKeyMovesTest {
  private static final TargetTable T = new TargetTable("t", TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\"},{\"name\":\"title\",\"type\":\"STRING\"},{\"name\":\"body\",\"type\":\"STRING\"}]",
      List.of("id")), DeleteMode.HARD);

  @Test
  public void membersKeepEachValueAsItIsWritten() {
    String row = "\"id\":5,\"note\":\"a \\\"quoted\\\", {not an object} \\u00e9t\u00e9\",\"amount\":\"12.50\","
        + "\"tags\":[\"a\",null,[1,2]],\"doc\":{\"k\":[1,{\"x\":\"}\"}]},\"flag\":false,\"gone\":null,\"\uc124\uba85\":-1.5e3";
    Map<String, String> members = PartialKeyMoves.members(row);
    assertEquals(Map.of("id", "5", "note", "\"a \\\"quoted\\\", {not an object} \\u00e9t\u00e9\"", "amount", "\"12.50\"",
        "tags", "[\"a\",null,[1,2]]", "doc", "{\"k\":[1,{\"x\":\"}\"}]}", "flag", "false", "\uc124\uba85", "-1.5e3"), members);
    assertEquals(java.util.List.of("id", "note", "amount", "tags", "doc", "flag", "\uc124\uba85"),
        java.util.List.copyOf(members.keySet()));
  }

  private static Change up(long id, long seq, String title, String body) {
    return new Change("t", ChangeOp.UPSERT, "[" + id + "]", Sequence.of(seq),
        "\"id\":" + id + ",\"title\":\"" + title + "\"" + (body == null ? "" : ",\"body\":\"" + body + "\""));
  }

  private static Change partial(long id, long seq, String title) {
    return new Change("t", ChangeOp.UPSERT, "[" + id + "]", Sequence.of(seq),
        "\"id\":" + id + ",\"title\":\"" + title + "\"", "[\"body\"]");
  }

  private static Change move(long from, long to, long seq, String title) {
    return partial(to, seq, title).movedFrom("[" + from + "]");
  }

  private static Change delete(long id, long seq) {
    return new Change("t", ChangeOp.DELETE, "[" + id + "]", Sequence.of(seq), "\"id\":" + id);
  }

  /** Completes the moves among {@code changes} over the target's {@code records}; the results in order. */
  private static List<Change> complete(List<Change> records, Change... changes) throws Exception {
    Map<String, List<Change>> history = new HashMap<>();
    List<PartialKeyMoves.Move> moves = new ArrayList<>();
    for (Change c : changes) {
      history.computeIfAbsent(PartialKeyMoves.id("t", c.key()), k -> new ArrayList<>()).add(c);
      if (c.movedFrom() != null) {
        moves.add(new PartialKeyMoves.Move(c.movedFrom(), c));
      }
    }
    Map<String, Change> byId = new HashMap<>();
    records.forEach(r -> byId.put(PartialKeyMoves.id("t", r.key()), r));
    List<Change> out = new ArrayList<>();
    PartialKeyMoves.complete(moves, history, name -> T, ids -> byId, out::add);
    return out;
  }

  @Test
  public void theOldKeysRowIsTheTargetsWithTheNewerChangesOverIt() throws Exception {
    // Target: 1 at 10 with body B. In the run: a replay at 5 (older than the target: skipped), a
    // partial at 20 (laid over), then the move at 30 that leaves body out.
    List<Change> out = complete(List.of(up(1, 10, "t10", "B")),
        up(1, 5, "t5", "OLD"), partial(1, 20, "t20"), delete(1, 30), move(1, 2, 30, "t30"));
    assertEquals(List.of(up(2, 30, "t30", "B")), out);
  }

  @Test
  public void aWholeRowInTheRunAfterTheTargetsIsTheBase() throws Exception {
    List<Change> out = complete(List.of(up(1, 10, "t10", "B")), up(1, 15, "t15", "C"), move(1, 2, 30, "t30"));
    assertEquals(List.of(up(2, 30, "t30", "C")), out);
  }

  @Test
  public void chainsCompleteInOrderWhateverTheInputsOrder() throws Exception {
    List<Change> out = complete(List.of(up(1, 10, "t", "B")), move(2, 3, 40, "t40"), move(1, 2, 30, "t30"));
    assertEquals(List.of(up(2, 30, "t30", "B"), up(3, 40, "t40", "B")), out);
  }

  @Test
  public void aTargetRecordAtOrAfterTheMoveMakesItAReplayLeftPartial() throws Exception {
    Change m = move(1, 2, 30, "t30");
    assertEquals(List.of(m), complete(List.of(delete(1, 30)), m));
    assertEquals(List.of(m), complete(List.of(up(1, 50, "t50", "LATER")), m));
  }

  @Test
  public void noRowUnderTheMoveLeavesItPartial() throws Exception {
    Change m = move(1, 2, 30, "t30");
    assertEquals("the key was never there", List.of(m), complete(List.of(), m));
    assertEquals("deleted before the move", List.of(m), complete(List.of(up(1, 10, "t", "B")), delete(1, 20), m));
    assertEquals("only a partial change", List.of(m), complete(List.of(), partial(1, 20, "t20"), m));
    // A chain whose first move cannot be completed cannot complete the next either.
    Change next = move(2, 3, 40, "t40");
    assertEquals(List.of(m, next), complete(List.of(), m, next));
  }

  @Test
  public void aReplayedMoveTheTargetHoldsDoesNotHideTheRowOfTheKeyItMovedInto() throws Exception {
    // 1 moved to 2 at 30 (merged: the target holds 2 at 30, 1 deleted at 30), then 2 moved to 3 at
    // 40; the move at 30 is delivered again beside it. Its replay is left partial, and the target's
    // row of 2 (which that move made) is the base of the move at 40.
    Change replay = move(1, 2, 30, "t30");
    List<Change> out = complete(List.of(up(2, 30, "t30", "B"), delete(1, 30)),
        delete(1, 30), replay, delete(2, 40), move(2, 3, 40, "t40"));
    assertEquals(List.of(replay, up(3, 40, "t40", "B")), out);
  }
}
