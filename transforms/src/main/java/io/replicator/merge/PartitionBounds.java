package io.replicator.merge;

import io.replicator.change.ColumnType;
import java.io.Serializable;

/**
 * The lowest and highest value a batch holds in the target's partition column, as canonical text
 * ({@code 2024-05-01}, {@code 2024-05-01T10:00:00Z}, {@code 42}), used to prune the MERGE's scan.
 */
public record PartitionBounds(String column, ColumnType type, String low, String high) implements Serializable {}
