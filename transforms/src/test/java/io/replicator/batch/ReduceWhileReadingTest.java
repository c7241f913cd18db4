package io.replicator.batch;

import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.Sequence;
import io.replicator.change.TableSchema;
import io.replicator.source.ReadChanges;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ReduceWhileReadingTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]",
      List.of("id"));

  private void write(String name, String text) throws Exception {
    Files.writeString(tmp.getRoot().toPath().resolve(name), text, StandardCharsets.UTF_8);
  }

  @Test
  public void aReducingReadKeepsTheLatestChangePerKeyAcrossFilesAndFlushes() throws Exception {
    // Two files, each key changed in both and twice in each, more keys than one accumulator holds.
    int keys = ReduceWhileReading.REDUCED_ROWS * 3 + 17; // About 6,150 keys per batch: each batch flushes.
    java.util.List<Change> expected = new java.util.ArrayList<>();
    for (String file : List.of("a", "b")) {
      StringBuilder sb = new StringBuilder();
      for (int round = 0; round < 2; round++) {
        for (int id = 0; id < keys; id++) {
          long seq = file.equals("a") ? 10 + round : (id % 2 == 0 ? 1 + round : 20 + round);
          sb.append("{\"id\":").append(id).append(",\"v\":\"").append(file).append(round)
              .append("\",\"_op\":\"INSERT\",\"_sequence_num\":").append(seq).append("}\n");
        }
      }
      write(file + ".jsonl", sb.toString());
    }
    for (int id = 0; id < keys; id++) {
      String v = id % 2 == 0 ? "a1" : "b1"; // Even keys: file a's sequence 11 wins; odd: file b's 21.
      expected.add(new Change("t", ChangeOp.UPSERT, "[" + id + "]", Sequence.of(id % 2 == 0 ? 11 : 21),
          "\"id\":" + id + ",\"v\":\"" + v + "\""));
    }
    ReduceWhileReading.Result read = p.apply(ReduceWhileReading.of(ReadChanges.from(tmp.getRoot() + "/*.jsonl")
        .withTable("t").withSchema(SCHEMA), 2));
    PCollection<Change> latest = read.batches()
        .apply(Combine.perKey(new LatestPerKeyFn.Merging()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), LatestPerKeyFn.AccumulatorCoder.of()))
        .apply(FlatMapElements.into(TypeDescriptor.of(Change.class)).via(kv -> kv.getValue().winners()))
        .setCoder(ChangeCoder.of());
    PAssert.that(latest).containsInAnyOrder(expected);
    PAssert.that(read.deadLetters()).empty();
    p.run().waitUntilFinish();
  }
}
