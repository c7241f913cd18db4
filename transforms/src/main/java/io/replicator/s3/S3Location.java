package io.replicator.s3;

import java.io.Serializable;

/**
 * A bucket and a key prefix, from {@code s3://bucket[/prefix]}. As with {@code aws s3 sync}, a
 * prefix names a directory: {@code s3://b/data} and {@code s3://b/data/} both mean keys under
 * {@code data/}.
 */
public record S3Location(String bucket, String prefix) implements Serializable {
  public static S3Location parse(String option, String uri) {
    if (uri == null || !uri.startsWith("s3://")) {
      throw new IllegalArgumentException(option + "='" + uri + "' is not an s3://BUCKET[/PREFIX] location");
    }
    String rest = uri.substring("s3://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : rest.substring(slash + 1);
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException(option + "='" + uri + "': '" + bucket + "' is not a bucket name");
    }
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      prefix = prefix + "/";
    }
    return new S3Location(bucket, prefix);
  }

  /** The full key of a key relative to the prefix. */
  public String key(String relative) {
    return prefix + relative;
  }

  /** The key relative to the prefix. */
  public String relative(String key) {
    return key.substring(prefix.length());
  }

  @Override
  public String toString() {
    return "s3://" + bucket + "/" + prefix;
  }
}
