package io.replicator.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

/** {@code PIPELINE --help}: the pipeline's own options, grouped as a user needs them; Beam's on request. */
public class OptionsHelpTest {
  @Test
  public void listsEveryOwnOptionGroupedTableAndInputFirstBeamsLeftOut() {
    String help = OptionsHelp.render("replicate", ReplicateOptions.class);
    for (FlexTemplateMetadata.Option o : FlexTemplateMetadata.options(ReplicateOptions.class)) {
      assertTrue("--" + o.name() + " missing", help.contains("\n  --" + o.name() + " ")
          || help.contains("\n  --" + o.name() + "\n"));
    }
    List<String> groups = help.lines().filter(l -> !l.isEmpty() && !l.startsWith(" ") && !l.startsWith("usage")
        && !l.startsWith("--")).toList();
    assertEquals(help, List.of("Table", "Change input", "Snapshot", "Warehouse", "Staging", "BigQuery target",
        "JDBC source", "Replication slot", "Streaming (Beam's option)", "Stream source", "Throughput", "Flink cluster"), groups);
    assertTrue("warehouse", help.contains("  --warehouse             The warehouse: duckdb:PATH"));
    assertTrue("batchMaxBytes", help.matches("(?s).*--batchMaxBytes .*Default:\\s+256MB\\..*"));
    assertTrue("staging", help.matches("(?s).*--staging .*Required\\..*"));
    assertFalse("runner", help.contains("\n  --runner"));
    assertFalse("optionsId", help.contains("--optionsId"));
    assertTrue("width", help.lines().allMatch(l -> l.length() <= 100));
  }

  @Test
  public void helpIsPrintedByTheCommandsAndBeamsOptionsOnlyWithAll() {
    Replication.Outcome own = Replication.cli("replicate", "--help").ok();
    assertTrue(own.out(), own.out().startsWith("usage: replicator replicate --option=value"));
    assertFalse(own.out(), own.out().contains("\n  --runner"));
    Replication.Outcome all = Replication.cli("replicate", "--help=all").ok();
    assertTrue(all.out(), all.out().contains("\n  --runner"));
    assertTrue(all.out(), all.out().indexOf("--table") < all.out().indexOf("--runner"));
    Replication.Outcome s3 = Replication.cli("s3-sync", "--help").ok();
    assertTrue(s3.out(), s3.out().contains("--source") && s3.out().contains("--delete"));
    assertFalse(s3.out(), s3.out().contains("--table"));
  }
}
