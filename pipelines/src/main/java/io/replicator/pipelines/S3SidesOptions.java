package io.replicator.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/** The two sides of a sync: each an S3 location with its endpoint, region and profile, or a directory. */
public interface S3SidesOptions extends PipelineOptions {
  @Description("Where to copy from: s3://BUCKET[/PREFIX], a local directory (followed into symbolic links, as aws"
      + " does), or a directory of another filesystem such as gs://BUCKET/PATH.")
  @Validation.Required
  @TemplateParameter(label = "Source location",
      regexes = "^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?|gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9](/.*)?)$")
  String getSource();

  void setSource(String value);

  @Description("Where to copy to: s3://BUCKET[/PREFIX], a local directory (made if missing; each file written whole"
      + " under a temporary name first, with the object's modification time), or a directory of another filesystem"
      + " such as gs://BUCKET/PATH.")
  @Validation.Required
  @TemplateParameter(label = "Target location",
      regexes = "^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?|gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9](/.*)?)$")
  String getTarget();

  void setTarget(String value);

  @Description("The source's S3 endpoint URL, for an S3-compatible server. Default: AWS.")
  @TemplateParameter(label = "Source S3 endpoint", regexes = "^https?://\\S+$")
  String getSourceEndpoint();

  void setSourceEndpoint(String value);

  @Description("The target's S3 endpoint URL, for an S3-compatible server. Default: AWS.")
  @TemplateParameter(label = "Target S3 endpoint", regexes = "^https?://\\S+$")
  String getTargetEndpoint();

  void setTargetEndpoint(String value);

  @Description("The source bucket's region. Default: us-east-1.")
  @TemplateParameter(label = "Source region", regexes = "^[a-z]{2}(-[a-z]+)+-[0-9]+$")
  String getSourceRegion();

  void setSourceRegion(String value);

  @Description("The target bucket's region. Default: us-east-1.")
  @TemplateParameter(label = "Target region", regexes = "^[a-z]{2}(-[a-z]+)+-[0-9]+$")
  String getTargetRegion();

  void setTargetRegion(String value);

  @Description("Path-style requests (http://host/bucket/key), as most S3-compatible servers want.")
  @Default.Boolean(false)
  @TemplateParameter(label = "Path-style requests", regexes = "^(true|false)$")
  Boolean getPathStyle();

  void setPathStyle(Boolean value);

  @Description("The AWS credentials profile for the source. Default: the default provider chain.")
  @TemplateParameter(label = "Source credentials profile")
  String getSourceProfile();

  void setSourceProfile(String value);

  @Description("The AWS credentials profile for the target. Default: the default provider chain.")
  @TemplateParameter(label = "Target credentials profile")
  String getTargetProfile();

  void setTargetProfile(String value);

  @Description("An AWS credentials file (the format of ~/.aws/credentials) to read the source's profile from, on each"
      + " worker: a local path or gs://BUCKET/PATH, for workers without AWS files of their own (Dataflow). Its"
      + " 'default' profile unless --sourceProfile names another. Default: the machine's AWS files and environment.")
  @TemplateParameter(label = "Source credentials file", regexes = "^(gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]/|/)\\S.*$")
  String getSourceCredentialsFile();

  void setSourceCredentialsFile(String value);

  @Description("An AWS credentials file to read the target's profile from, on each worker: a local path or"
      + " gs://BUCKET/PATH. Its 'default' profile unless --targetProfile names another.")
  @TemplateParameter(label = "Target credentials file", regexes = "^(gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]/|/)\\S.*$")
  String getTargetCredentialsFile();

  void setTargetCredentialsFile(String value);

  @Description("An IAM role the source is read as, assumed through STS on each worker (sessions renewed before they"
      + " end): on Google Cloud, Dataflow included, with the worker service account's identity token (web identity"
      + " federation: no AWS secret anywhere); elsewhere with the source's AWS credentials. See --roleIdentity.")
  @TemplateParameter(label = "Source IAM role ARN", regexes = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/\\S+$")
  String getSourceRoleArn();

  void setSourceRoleArn(String value);

  @Description("An IAM role the target is written as, assumed through STS on each worker, as --sourceRoleArn.")
  @TemplateParameter(label = "Target IAM role ARN", regexes = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/\\S+$")
  String getTargetRoleArn();

  void setTargetRoleArn(String value);

  @Description("What proves the workers' identity when a role is assumed: 'google' (the Google service account's"
      + " identity token, AssumeRoleWithWebIdentity), 'aws' (the side's AWS credentials: profile, credentials file or"
      + " default chain, AssumeRole), or 'auto': google where a Google metadata server answers and the side names no"
      + " profile or credentials file, else aws.")
  @Default.String("auto")
  @TemplateParameter(label = "Role identity", regexes = "^(auto|google|aws)$")
  String getRoleIdentity();

  void setRoleIdentity(String value);

  @Description("The audience of the Google identity token sent to STS; the role's trust policy can require it as"
      + " accounts.google.com:oaud.")
  @Default.String("sts.amazonaws.com")
  @TemplateParameter(label = "Identity token audience")
  String getRoleAudience();

  void setRoleAudience(String value);

  @Description("The STS endpoint URL roles are assumed at (a VPC endpoint, or another partition's). Default: the"
      + " regional STS endpoint of each side's region.")
  @TemplateParameter(label = "STS endpoint", regexes = "^https?://\\S+$")
  String getStsEndpoint();

  void setStsEndpoint(String value);
}
