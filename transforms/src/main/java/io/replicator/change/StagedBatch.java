package io.replicator.change;

import io.replicator.common.RecordCoder;

/**
 * A batch written to staging, ready to load and merge.
 *
 * @param table the target table
 * @param batchId deterministic: derived from the batch's content, so a re-run names it alike
 * @param file the staged JSONL file (a Beam filesystem path)
 * @param rows staged rows: one per key, but for keys with partial changes after a full one
 * @param bytes size of the staged file
 * @param sequenceWidth the most sequence parts any staged row has
 * @param partialRows staged rows that leave columns unchanged (the merge then folds each key's rows)
 * @param longestLine bytes of the file's longest line, its newline included (0: not known), so a
 *     reader can size its buffers to the batch instead of to the largest row it could meet
 */
public record StagedBatch(String table, String batchId, String file, long rows, long bytes, int sequenceWidth,
    long partialRows, long longestLine) {

  /** A batch without partial rows, its longest line not known. */
  public StagedBatch(String table, String batchId, String file, long rows, long bytes, int sequenceWidth) {
    this(table, batchId, file, rows, bytes, sequenceWidth, 0, 0);
  }

  private static final RecordCoder<StagedBatch> CODER = RecordCoder.of(StagedBatch.class,
      (b, out) -> out.string(b.table()).string(b.batchId()).string(b.file()).varLong(b.rows()).varLong(b.bytes())
          .varInt(b.sequenceWidth()).varLong(b.partialRows()).varLong(b.longestLine()),
      in -> new StagedBatch(in.string(), in.string(), in.string(), in.varLong(), in.varLong(), in.varInt(),
          in.varLong(), in.varLong()));

  /** Coder: strings and var-longs. */
  public static RecordCoder<StagedBatch> coder() {
    return CODER;
  }
}
