package io.replicator.source;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;

/** A dead letter survives its file and its coder whole: what is needed to read its input again. */
public class DeadLetterTest {
  private static final DeadLetter SNAPSHOT_ROW = new DeadLetter("/in/snap shot.jsonl", 12,
      "{\"id\":7,\"note\":\"tab\\there, \\\"quoted\\\", 한국어\"}", "column 'note' is not in the schema", "[7]",
      InputFormat.SNAPSHOT_JSONL, 1000L);
  private static final DeadLetter CHANGE = new DeadLetter("kafka:app.cdc/0", 42, "{\"op\":\"x\"}", "unknown op 'x'",
      null, InputFormat.DEBEZIUM, null);
  private static final DeadLetter REFUSED = new DeadLetter("merge of t batch 1", 0, "{\"id\":1}", "no base");

  @Test
  public void readsBackWhatItWrites() throws Exception {
    for (DeadLetter d : new DeadLetter[] {SNAPSHOT_ROW, CHANGE, REFUSED}) {
      assertEquals(d, DeadLetter.fromJson(d.toJson()));
      assertEquals(d, CoderUtils.decodeFromByteArray(DeadLetter.coder(), CoderUtils.encodeToByteArray(DeadLetter.coder(), d)));
    }
    assertEquals("{\"source\":\"kafka:app.cdc/0\",\"line\":42,\"input\":\"{\\\"op\\\":\\\"x\\\"}\",\"reason\":\"unknown op"
        + " 'x'\",\"format\":\"debezium\"}", CHANGE.toJson());
  }

  @Test
  public void aLineThatIsNoDeadLetterIsRejectedSayingWhy() {
    assertEquals("not a dead letter: malformed JSON",
        assertThrows(RejectedInputException.class, () -> DeadLetter.fromJson("{\"source\":")).getMessage());
    assertEquals("not a dead letter: it needs source, line, input and reason",
        assertThrows(RejectedInputException.class, () -> DeadLetter.fromJson("{\"id\":1}")).getMessage());
    assertEquals("not a dead letter: unknown format 'avro'", assertThrows(RejectedInputException.class,
        () -> DeadLetter.fromJson("{\"source\":\"s\",\"line\":1,\"input\":\"x\",\"reason\":\"r\",\"format\":\"avro\"}"))
        .getMessage());
  }
}
