package io.replicator.pipelines;

import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options of {@code s3-sync}: the two sides, and how they are compared and copied. Each is also a
 * Flex Template parameter: {@link FlexTemplateMetadata} writes {@code flex-templates/s3-sync/metadata.json}.
 */
public interface S3SyncOptions extends PipelineOptions, S3SidesOptions, FlinkClusterOptions {
  @Description("When a key at both sides is copied again: size-and-time (aws s3 sync: size differs or the"
      + " source is newer), size-only, etag, or checksum (S3 additional checksums, read per key of one size).")
  @Default.String("size-and-time")
  @TemplateParameter(label = "Compare mode", regexes = "^(size-and-time|size-only|etag|checksum)$")
  String getCompare();

  void setCompare(String value);

  @Description("Glob of keys to include again after an --exclude; repeatable; the last matching rule wins.")
  @TemplateParameter(label = "Include globs")
  List<String> getInclude();

  void setInclude(List<String> value);

  @Description("Glob of keys to leave alone (never copied, never deleted); repeatable.")
  @TemplateParameter(label = "Exclude globs")
  List<String> getExclude();

  void setExclude(List<String> value);

  @Description("Delete target keys that are not at the source, once every copy has succeeded.")
  @Default.Boolean(false)
  @TemplateParameter(label = "Delete extraneous keys", regexes = "^(true|false)$")
  Boolean getDelete();

  void setDelete(Boolean value);

  @Description("With --delete: delete nothing when more keys than this would go. Default: no bound.")
  @Default.Long(-1)
  @TemplateParameter(label = "Most keys to delete", regexes = "^(-1|[0-9]+)$")
  Long getMaxDelete();

  void setMaxDelete(Long value);

  @Description("Plan and report what would be copied and deleted; change nothing.")
  @Default.Boolean(false)
  @TemplateParameter(label = "Dry run", regexes = "^(true|false)$")
  Boolean getDryRun();

  void setDryRun(Boolean value);

  @Description("Objects of this size or more are copied in parts (e.g. 5GB, 100MB).")
  @Default.String("5GB")
  @TemplateParameter(label = "Multipart threshold", regexes = "^[0-9]+(\\.[0-9]+)?\\s*([KMGTkmgt]([iI]?[bB])?)?$")
  String getMultipartThreshold();

  void setMultipartThreshold(String value);

  @Description("The size of each part of a multipart copy (at least 5MB).")
  @Default.String("64MB")
  @TemplateParameter(label = "Multipart part size", regexes = "^[0-9]+(\\.[0-9]+)?\\s*([KMGTkmgt]([iI]?[bB])?)?$")
  String getMultipartChunkSize();

  void setMultipartChunkSize(String value);

  @Description("The most copies one worker runs at once. Raise it for a distant endpoint (each copy mostly waits"
      + " on the server); 16 suits a server on the same machine.")
  @Default.Integer(io.replicator.s3.CopySettings.DEFAULT_IN_FLIGHT)
  @TemplateParameter(label = "Copies in flight per worker", regexes = "^[1-9][0-9]{0,3}$")
  Integer getCopiesInFlight();

  void setCopiesInFlight(Integer value);

  @Description("The copies' storage class (STANDARD, STANDARD_IA, ...). Default: the source's.")
  @TemplateParameter(label = "Storage class", regexes = "^[A-Z_]+$")
  String getStorageClass();

  void setStorageClass(String value);

  @Description("A canned ACL for the copies (e.g. bucket-owner-full-control). Default: none, as aws s3 sync.")
  @TemplateParameter(label = "Canned ACL", regexes = "^[a-z-]+$")
  String getAcl();

  void setAcl(String value);

  @Description("Server-side encryption of the copies: AES256 or aws:kms.")
  @TemplateParameter(label = "Server-side encryption", regexes = "^(AES256|aws:kms)$")
  String getSse();

  void setSse(String value);

  @Description("With --sse=aws:kms: the KMS key id. Default: the account's S3 key.")
  @TemplateParameter(label = "KMS key")
  String getSseKmsKeyId();

  void setSseKmsKeyId(String value);

  @Description("Most bytes copied per unit of time across all workers, counted from object sizes"
      + " (e.g. 1GB/h, 50MB/s). Default: no bound.")
  @TemplateParameter(label = "Throughput bound",
      regexes = "^[0-9]+(\\.[0-9]+)?\\s*([KMGTkmgt]([iI]?[bB])?)?\\s*/\\s*(s|sec|second|m|min|minute|h|hour|d|day)$")
  String getMaxThroughput();

  void setMaxThroughput(String value);

  @Description("Write a JSONL report here, one line per key: action, reason, size, ETags, attempts.")
  @TemplateParameter(label = "Report file")
  String getReport();

  void setReport(String value);
}
