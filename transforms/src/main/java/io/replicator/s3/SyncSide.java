package io.replicator.s3;

import java.io.Serializable;

/**
 * One side of a sync: a bucket prefix at an S3 endpoint ({@link Bucket}), or a directory on a
 * local disk or any Beam filesystem such as {@code gs://} ({@link Directory}).
 */
public sealed interface SyncSide extends Serializable permits SyncSide.Bucket, Directory {
  /** The side as a user writes it, for messages and the summary. */
  String describe();

  /** A bucket and key prefix at an S3 endpoint. */
  record Bucket(S3Endpoint endpoint, S3Location location) implements SyncSide {
    @Override
    public String describe() {
      return location.toString();
    }
  }
}
