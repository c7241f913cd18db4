package io.replicator.source;

import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Calls a {@link ReadConfirmation} once every element of its input exists: counting them all waits
 * for the steps that make them (merges, dead-letter files).
 *
 * <pre>{@code
 * applied.apply(ConfirmRead.to(new SlotConfirmation(slot, end)));
 * }</pre>
 */
public final class ConfirmRead extends PTransform<PCollection<String>, PDone> {
  private final ReadConfirmation confirmation;

  private ConfirmRead(ReadConfirmation confirmation) {
    this.confirmation = confirmation;
  }

  public static ConfirmRead to(ReadConfirmation confirmation) {
    return new ConfirmRead(confirmation);
  }

  @Override
  public PDone expand(PCollection<String> applied) {
    applied.apply("Wait for all", Count.globally()).apply("Confirm", ParDo.of(new ConfirmFn(confirmation)));
    return PDone.in(applied.getPipeline());
  }

  private static final class ConfirmFn extends DoFn<Long, Void> {
    private final ReadConfirmation confirmation;

    ConfirmFn(ReadConfirmation confirmation) {
      this.confirmation = confirmation;
    }

    @ProcessElement
    public void process() throws Exception {
      confirmation.confirm();
    }
  }
}
