package io.replicator.warehouse.bigquery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.services.bigquery.model.TableCell;
import com.google.api.services.bigquery.model.TableFieldSchema;
import com.google.api.services.bigquery.model.TableReference;
import com.google.api.services.bigquery.model.TableRow;
import io.replicator.batch.LatestPerKey;
import io.replicator.batch.StageBatches;
import io.replicator.change.Change;
import io.replicator.change.ChangeCoder;
import io.replicator.change.ChangeOp;
import io.replicator.change.Column;
import io.replicator.change.StagedLine;
import io.replicator.change.TableSchema;
import io.replicator.change.TargetTable;
import io.replicator.common.Counters;
import io.replicator.merge.BigQueryDialect;
import io.replicator.source.DeadLetter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryServices;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryStorageApiInsertError;
import org.apache.beam.sdk.io.gcp.bigquery.RowMutationInformation;
import org.apache.beam.sdk.io.gcp.bigquery.WriteResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Writes changes into a BigQuery table through the Storage Write API as BigQuery CDC upserts and
 * deletes: BigQuery applies them by the table's primary key in {@code _CHANGE_SEQUENCE_NUMBER}
 * order, so nothing is staged and no MERGE runs. Within a run the changes are first reduced to the
 * latest per key by the pipeline's own rule (which also settles changes of equal sequence, where
 * BigQuery's order would be arbitrary). Rows BigQuery refuses come out as dead letters.
 *
 * <pre>{@code
 * PCollection<DeadLetter> refused = changes.apply(
 *     WriteChangesToBigQuery.into(BigQuerySettings.parse("my-project.replica").withCdc(900), target));
 * }</pre>
 */
public final class WriteChangesToBigQuery extends PTransform<PCollection<Change>, PCollection<DeadLetter>> {
  public static final String ROWS_UPSERTED = "cdc_rows_upserted";
  public static final String ROWS_DELETED = "cdc_rows_deleted";
  public static final String ROWS_REFUSED = "cdc_rows_refused";

  private static final TupleTag<Change> CHANGES = new TupleTag<>() {};
  private static final TupleTag<DeadLetter> REFUSED = new TupleTag<>() {};

  private final BigQuerySettings settings;
  private final TargetTable table;
  private final long maxBytes;
  private final long maxRows;
  private final BigQueryServices services;

  private WriteChangesToBigQuery(
      BigQuerySettings settings, TargetTable table, long maxBytes, long maxRows, BigQueryServices services) {
    this.settings = settings;
    this.table = table;
    this.maxBytes = maxBytes;
    this.maxRows = maxRows;
    this.services = services;
  }

  public static WriteChangesToBigQuery into(BigQuerySettings settings, TargetTable table) {
    return new WriteChangesToBigQuery(settings, table, 256L << 20, 5_000_000L, null);
  }

  /** How large a group of keys reduced together may be (as staged batches are bounded). */
  public WriteChangesToBigQuery withGroupBounds(long maxBytes, long maxRows) {
    return new WriteChangesToBigQuery(settings, table, maxBytes, maxRows, services);
  }

  /** Talks to these services instead of BigQuery (Beam's fakes, in tests). */
  public WriteChangesToBigQuery withTestServices(BigQueryServices services) {
    return new WriteChangesToBigQuery(settings, table, maxBytes, maxRows, services);
  }

  @Override
  public PCollection<DeadLetter> expand(PCollection<Change> changes) {
    String source = "bigquery:" + settings + "." + table.name();
    PCollectionTuple unpacked = changes
        .apply("Latest per key", StageBatches.latestPerKey(maxBytes, maxRows))
        .apply("Unpack", ParDo.of(new UnpackFn(source)).withOutputTags(CHANGES, TupleTagList.of(REFUSED)));
    PCollection<Change> latest = unpacked.get(CHANGES).setCoder(ChangeCoder.of());
    BigQueryIO.Write<Change> write = BigQueryIO.<Change>write()
        .to(new TableReference().setProjectId(settings.project()).setDatasetId(settings.dataset())
            .setTableId(table.name()))
        .withSchema(schema(table))
        .withPrimaryKey(table.schema().keyColumns())
        .withFormatFunction(new ToTableRow(table.schema()))
        .withRowMutationInformationFn(new ToMutation())
        .withMethod(BigQueryIO.Write.Method.STORAGE_API_AT_LEAST_ONCE)
        .withCreateDisposition(BigQueryIO.Write.CreateDisposition.CREATE_NEVER)
        .withWriteDisposition(BigQueryIO.Write.WriteDisposition.WRITE_APPEND);
    if (services != null) {
      write = write.withTestServices(services);
    }
    WriteResult result = latest.apply("Write CDC rows", write);
    PCollection<DeadLetter> failed = result.getFailedStorageApiInserts()
        .apply("Refused rows", ParDo.of(new RefusedFn(source)))
        .setCoder(DeadLetter.coder());
    return PCollectionList.of(unpacked.get(REFUSED).setCoder(DeadLetter.coder())).and(failed)
        .apply("All refused", Flatten.pCollections());
  }

  /** The target's columns as BigQueryIO needs them: the schema's, then the four sequence parts. */
  static com.google.api.services.bigquery.model.TableSchema schema(TargetTable table) {
    List<TableFieldSchema> fields = new ArrayList<>();
    for (Column c : table.schema().columns()) {
      fields.add(BigQueryWarehouse.field(c.name(), BigQueryDialect.typeName(c.type()),
          c.required() || table.schema().keyColumns().contains(c.name())));
    }
    for (int i = 0; i < 4; i++) {
      fields.add(BigQueryWarehouse.field(StagedLine.sequenceColumn(i), "INT64", i == 0));
    }
    return new com.google.api.services.bigquery.model.TableSchema().setFields(fields);
  }

  /**
   * The change's sequence as BigQuery's {@code _CHANGE_SEQUENCE_NUMBER}: one hexadecimal section per
   * part, separated by {@code /}, trailing zero parts left out (the pipeline compares a missing part
   * as 0, so {@code 5} and {@code 5/0} are the same sequence). Parts must not be negative: a section
   * is a hexadecimal number without a sign.
   */
  static String changeSequenceNumber(Change c) {
    int sections = c.sequence().width();
    while (sections > 1 && c.sequence().part(sections - 1) == 0) {
      sections--;
    }
    StringBuilder sb = new StringBuilder(16 * sections + 3);
    for (int i = 0; i < sections; i++) {
      long part = c.sequence().part(i);
      if (part < 0) {
        throw new IllegalArgumentException("sequence part " + (i + 1) + " is negative: " + part);
      }
      sb.append(i > 0 ? "/" : "").append(Long.toHexString(part).toUpperCase(java.util.Locale.ROOT));
    }
    return sb.toString();
  }

  private static boolean hasNegativePart(Change c) {
    for (int i = 0; i < c.sequence().width(); i++) {
      if (c.sequence().part(i) < 0) {
        return true;
      }
    }
    return false;
  }

  /** The latest change per key, counted; one whose sequence BigQuery cannot order is refused. */
  private static final class UnpackFn extends DoFn<KV<String, LatestPerKey>, Change> {
    private final String source;
    private final Counter upserted = Counters.counter(ROWS_UPSERTED);
    private final Counter deleted = Counters.counter(ROWS_DELETED);
    private final Counter refused = Counters.counter(ROWS_REFUSED);
    private final Counter superseded = Counters.counter(StageBatches.CHANGES_SUPERSEDED);

    UnpackFn(String source) {
      this.source = source;
    }

    @ProcessElement
    public void process(@Element KV<String, LatestPerKey> group, MultiOutputReceiver out) {
      List<Change> latest = group.getValue().sortedByKey();
      superseded.inc(group.getValue().added() - latest.size());
      for (Change c : latest) {
        if (hasNegativePart(c)) {
          refused.inc();
          out.get(REFUSED).output(new DeadLetter(source, 0, "{" + c.rowJson() + "}", "sequence "
              + c.sequence() + " has a negative part, which BigQuery's change sequence numbers cannot order;"
              + " use --bigQueryWriteMethod=merge for this source"));
          continue;
        }
        if (c.isPartial()) {
          // A CDC upsert replaces the whole row; completing it would need the key's stored row,
          // read back in a query per batch, under BigQuery's own background apply: refused instead.
          refused.inc();
          out.get(REFUSED).output(new DeadLetter(source, 0, "{" + c.rowJson() + "}", "a change that leaves columns"
              + " unchanged " + c.unchanged() + ": BigQuery CDC writes replace whole rows, so they would lose those"
              + " columns' values; use --bigQueryWriteMethod=merge, which keeps them"));
          continue;
        }
        (c.op() == ChangeOp.DELETE ? deleted : upserted).inc();
        out.get(CHANGES).output(c);
      }
    }
  }

  private static final class ToMutation implements SerializableFunction<Change, RowMutationInformation> {
    @Override
    public RowMutationInformation apply(Change c) {
      return RowMutationInformation.of(c.op() == ChangeOp.DELETE
          ? RowMutationInformation.MutationType.DELETE
          : RowMutationInformation.MutationType.UPSERT, changeSequenceNumber(c));
    }
  }

  /**
   * A change as a TableRow in the positional cell form ({@code f}/{@code v}), so a column named
   * {@code f} is not mistaken for the row's own cell list; values in the forms the Storage Write API
   * converts: canonical text mostly.
   */
  static final class ToTableRow implements SerializableFunction<Change, TableRow> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final TableSchema schema;

    ToTableRow(TableSchema schema) {
      this.schema = schema;
    }

    @Override
    public TableRow apply(Change c) {
      JsonNode row;
      try {
        row = JSON.readTree("{" + c.rowJson() + "}");
      } catch (IOException e) {
        throw new UncheckedIOException("a canonical row did not parse: " + c.rowJson(), e);
      }
      List<TableCell> cells = new ArrayList<>(schema.columns().size() + 4);
      for (Column col : schema.columns()) {
        JsonNode v = row.get(col.name());
        cells.add(new TableCell().setV(v == null || v.isNull() ? null : switch (col.type()) {
          case INT64 -> v.asLong();
          case FLOAT64 -> v.isNumber() ? (Object) v.asDouble() : Double.valueOf(v.asText());
          case BOOL -> v.asBoolean();
          case JSON -> v.toString();
          default -> v.asText();
        }));
      }
      for (int i = 0; i < 4; i++) {
        cells.add(new TableCell().setV(i < c.sequence().width() ? c.sequence().part(i) : null));
      }
      return new TableRow().setF(cells);
    }
  }

  private static final class RefusedFn extends DoFn<BigQueryStorageApiInsertError, DeadLetter> {
    private final String source;
    private final Counter refused = Counters.counter(ROWS_REFUSED);

    RefusedFn(String source) {
      this.source = source;
    }

    @ProcessElement
    public void process(@Element BigQueryStorageApiInsertError error, OutputReceiver<DeadLetter> out) {
      refused.inc();
      String row;
      try {
        row = JSON_WRITER.writeValueAsString(error.getRow());
      } catch (IOException e) {
        row = String.valueOf(error.getRow());
      }
      out.output(new DeadLetter(source, 0, row, "BigQuery refused the row: " + error.getErrorMessage()));
    }

    private static final ObjectMapper JSON_WRITER = new ObjectMapper();
  }
}
