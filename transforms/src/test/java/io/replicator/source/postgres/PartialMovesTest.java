package io.replicator.source.postgres;

import static org.junit.Assert.assertEquals;

import java.util.Map;
import org.junit.Test;

public class PartialMovesTest {
  @Test
  public void membersKeepEachValueAsItIsWritten() {
    String row = "\"id\":5,\"note\":\"a \\\"quoted\\\", {not an object} \\u00e9t\u00e9\",\"amount\":\"12.50\","
        + "\"tags\":[\"a\",null,[1,2]],\"doc\":{\"k\":[1,{\"x\":\"}\"}]},\"flag\":false,\"gone\":null,\"\uc124\uba85\":-1.5e3";
    Map<String, String> members = PartialMoves.members(row);
    assertEquals(Map.of("id", "5", "note", "\"a \\\"quoted\\\", {not an object} \\u00e9t\u00e9\"", "amount", "\"12.50\"",
        "tags", "[\"a\",null,[1,2]]", "doc", "{\"k\":[1,{\"x\":\"}\"}]}", "flag", "false", "\uc124\uba85", "-1.5e3"), members);
    assertEquals(java.util.List.of("id", "note", "amount", "tags", "doc", "flag", "\uc124\uba85"),
        java.util.List.copyOf(members.keySet()));
  }
}
