package io.replicator.warehouse.spi;

/**
 * A full-table reload to apply: what its rows are sequenced at, how much of the table it may
 * remove, and which rows it must keep although its snapshot lacks them.
 *
 * @param sequence the sequence of the snapshot's rows; live rows below it that the snapshot lacks go
 * @param maxDeletePercent the largest share of the live rows the reload may remove (0 to 100)
 * @param keptKeysFile a staged JSONL file of keys (key columns only) whose rows stay: the keys of
 *     rejected snapshot lines; null when there are none
 * @param removesVanished false when some rejected line's key could not be read: the reload then
 *     applies its rows and removes nothing, since any row might be the unreadable line's
 */
public record Reload(long sequence, double maxDeletePercent, String keptKeysFile, boolean removesVanished)
    implements java.io.Serializable {
  public Reload {
    if (maxDeletePercent < 0 || maxDeletePercent > 100) {
      throw new IllegalArgumentException("the largest share a reload may delete is 0 to 100 percent, got "
          + maxDeletePercent);
    }
  }

  /** Whether removing {@code older} of {@code live} rows is more than the reload may. */
  public boolean refuses(long older, long live) {
    return older > 0 && older * 100.0 > maxDeletePercent * live;
  }
}
