package io.replicator.pipelines;

import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/** Options of {@code s3-sync}. */
public interface S3SyncOptions extends PipelineOptions {
  @Description("Where to copy from: s3://BUCKET[/PREFIX].")
  @Validation.Required
  String getSource();

  void setSource(String value);

  @Description("Where to copy to: s3://BUCKET[/PREFIX].")
  @Validation.Required
  String getTarget();

  void setTarget(String value);

  @Description("The source's S3 endpoint URL, for an S3-compatible server. Default: AWS.")
  String getSourceEndpoint();

  void setSourceEndpoint(String value);

  @Description("The target's S3 endpoint URL, for an S3-compatible server. Default: AWS.")
  String getTargetEndpoint();

  void setTargetEndpoint(String value);

  @Description("The source bucket's region. Default: us-east-1.")
  String getSourceRegion();

  void setSourceRegion(String value);

  @Description("The target bucket's region. Default: us-east-1.")
  String getTargetRegion();

  void setTargetRegion(String value);

  @Description("Path-style requests (http://host/bucket/key), as most S3-compatible servers want.")
  @Default.Boolean(false)
  Boolean getPathStyle();

  void setPathStyle(Boolean value);

  @Description("The AWS credentials profile for the source. Default: the default provider chain.")
  String getSourceProfile();

  void setSourceProfile(String value);

  @Description("The AWS credentials profile for the target. Default: the default provider chain.")
  String getTargetProfile();

  void setTargetProfile(String value);

  @Description("When a key at both sides is copied again: size-and-time (aws s3 sync: size differs or the"
      + " source is newer), size-only, etag, or checksum (S3 additional checksums, read per key of one size).")
  @Default.String("size-and-time")
  String getCompare();

  void setCompare(String value);

  @Description("Glob of keys to include again after an --exclude; repeatable; the last matching rule wins.")
  List<String> getInclude();

  void setInclude(List<String> value);

  @Description("Glob of keys to leave alone (never copied, never deleted); repeatable.")
  List<String> getExclude();

  void setExclude(List<String> value);

  @Description("Delete target keys that are not at the source, once every copy has succeeded.")
  @Default.Boolean(false)
  Boolean getDelete();

  void setDelete(Boolean value);

  @Description("With --delete: delete nothing when more keys than this would go. Default: no bound.")
  @Default.Long(-1)
  Long getMaxDelete();

  void setMaxDelete(Long value);

  @Description("Plan and report what would be copied and deleted; change nothing.")
  @Default.Boolean(false)
  Boolean getDryRun();

  void setDryRun(Boolean value);

  @Description("Objects of this size or more are copied in parts (e.g. 5GB, 100MB).")
  @Default.String("5GB")
  String getMultipartThreshold();

  void setMultipartThreshold(String value);

  @Description("The size of each part of a multipart copy (at least 5MB).")
  @Default.String("64MB")
  String getMultipartChunkSize();

  void setMultipartChunkSize(String value);

  @Description("The most copies one worker runs at once. Raise it for a distant endpoint (each copy mostly waits"
      + " on the server); 16 suits a server on the same machine.")
  @Default.Integer(io.replicator.s3.CopySettings.DEFAULT_IN_FLIGHT)
  Integer getCopiesInFlight();

  void setCopiesInFlight(Integer value);

  @Description("The copies' storage class (STANDARD, STANDARD_IA, ...). Default: the source's.")
  String getStorageClass();

  void setStorageClass(String value);

  @Description("A canned ACL for the copies (e.g. bucket-owner-full-control). Default: none, as aws s3 sync.")
  String getAcl();

  void setAcl(String value);

  @Description("Server-side encryption of the copies: AES256 or aws:kms.")
  String getSse();

  void setSse(String value);

  @Description("With --sse=aws:kms: the KMS key id. Default: the account's S3 key.")
  String getSseKmsKeyId();

  void setSseKmsKeyId(String value);

  @Description("Most bytes copied per unit of time across all workers, counted from object sizes"
      + " (e.g. 1GB/h, 50MB/s). Default: no bound.")
  String getMaxThroughput();

  void setMaxThroughput(String value);

  @Description("Write a JSONL report here, one line per key: action, reason, size, ETags, attempts.")
  String getReport();

  void setReport(String value);
}
