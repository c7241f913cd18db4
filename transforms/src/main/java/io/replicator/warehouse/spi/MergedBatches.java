package io.replicator.warehouse.spi;

/**
 * What one merge of several staged batches as a single change set did ({@link
 * Warehouse#mergeTogether}).
 *
 * @param merged the merge's counts, over every batch it applied
 * @param applied batches it applied
 * @param skipped batches an earlier run had applied, left as they were
 * @param millis the merge's wall time, its load included
 */
public record MergedBatches(MergeResult merged, int applied, int skipped, long millis) {}
