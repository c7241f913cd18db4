package io.replicator.batch;

import static org.junit.Assert.assertEquals;

import io.replicator.change.StagedBatch;
import io.replicator.change.TableSchema;
import io.replicator.source.DeadLetter;
import io.replicator.source.ReadChanges;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class SpillBatchesTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static final TableSchema SCHEMA = TableSchema.fromBigQueryJson(
      "[{\"name\":\"id\",\"type\":\"INT64\",\"mode\":\"REQUIRED\"},{\"name\":\"v\",\"type\":\"STRING\"}]",
      List.of("id"));
  private static final Pattern STAGED = Pattern.compile("\"id\":(\\d+),\"v\":\"([^\"]*)\".*\"_sequence_num\":(\\d+)");

  @Test
  public void spilledBatchesStageTheLatestChangePerKeyAndRejectedLinesKeepTheirNumbers() throws Exception {
    // Two files, every key changed twice in each, split into ranges of 4 KB (about 75 lines):
    // a key's changes sit in different ranges and files, and must still meet in one batch.
    int keys = 3000;
    List<String> expected = new ArrayList<>();
    for (String file : List.of("a", "b")) {
      StringBuilder sb = new StringBuilder();
      for (int round = 0; round < 2; round++) {
        for (int id = 0; id < keys; id++) {
          long seq = file.equals("a") ? 10 + round : (id % 2 == 0 ? 1 + round : 20 + round);
          sb.append("{\"id\":").append(id).append(",\"v\":\"").append(file).append(round).append("\",\"_op\":\"INSERT\",")
              .append("\"_sequence_num\":").append(seq).append(id % 7 == 0 ? "}\r\n" : "}\n");
          if (file.equals("b") && round == 1 && id == 2500) {
            sb.append("{\"id\":\"not a number\",\"_op\":\"INSERT\",\"_sequence_num\":99}\n");
          }
        }
      }
      Files.writeString(tmp.getRoot().toPath().resolve(file + ".jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }
    for (int id = 0; id < keys; id++) {
      expected.add(id + (id % 2 == 0 ? ":a1:11" : ":b1:21")); // Even keys: a's sequence 11 wins; odd: b's 21.
    }
    // The rejected line's number in b: every line before it, CR-split lines counted as the reader counts them.
    long lineOfBad = 0;
    for (String line : Files.readString(tmp.getRoot().toPath().resolve("b.jsonl")).split("\r\n|\n|\r")) {
      lineOfBad++;
      if (line.contains("not a number")) {
        break;
      }
    }

    Path spill = tmp.getRoot().toPath().resolve("staging/t/spill-test");
    SpillBatches.Result read = p.apply(SpillBatches.of(ReadChanges.from(tmp.getRoot() + "/*.jsonl")
        .withTable("t").withSchema(SCHEMA), 3, spill.toString()).withRangeBytes(4096));
    PCollection<StagedBatch> staged = read.spills()
        .apply(StageBatches.spilled(tmp.getRoot() + "/staging", 1 << 20, 1_000_000));
    PCollection<String> rows = staged.apply(FlatMapElements.into(TypeDescriptors.strings()).via(b -> {
      try {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(b.file()))) {
          Matcher m = STAGED.matcher(line);
          out.add(m.find() ? m.group(1) + ":" + m.group(2) + ":" + m.group(3) : "unreadable " + line);
        }
        return out;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }));
    PAssert.that(rows).containsInAnyOrder(expected);
    PAssert.that(read.deadLetters().apply(MapElements.into(TypeDescriptors.strings())
        .via((DeadLetter d) -> Path.of(d.source()).getFileName() + ":" + d.line())))
        .containsInAnyOrder("b.jsonl:" + lineOfBad);
    p.run().waitUntilFinish();

    // The spill files are gone once their batches are staged.
    try (Stream<Path> left = Files.walk(spill.getParent())) {
      assertEquals(List.of(), left.filter(Files::isRegularFile).filter(f -> f.startsWith(spill)).toList());
    }
  }
}
