package io.replicator.s3;

import java.io.Serializable;
import java.net.InetAddress;
import java.net.URI;
import java.util.Locale;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleWithWebIdentityCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityRequest;
import software.amazon.awssdk.services.sts.model.StsException;

/**
 * An IAM role one side of a sync works as, assumed through STS on each worker: with the Google
 * service account's identity token where the worker runs on Google Cloud (web identity federation,
 * no AWS secret anywhere), else with the side's own AWS credentials (profile, credentials file or
 * default chain). Only the role's ARN travels with the job; the sessions (an hour each) are renewed
 * by the SDK five minutes before they end, each web identity renewal with a fresh token.
 *
 * <pre>{@code
 * new S3Endpoint(null, "eu-west-1", false, null, null,
 *     new AssumedRole("arn:aws:iam::123456789012:role/replicator", AssumedRole.Identity.AUTO,
 *         AssumedRole.DEFAULT_AUDIENCE, null, null));
 * }</pre>
 *
 * @param identity what proves who the worker is to STS
 * @param audience the audience of the Google identity token (the trust policy's
 *     {@code accounts.google.com:oaud})
 * @param stsEndpoint an STS endpoint URL (a VPC endpoint); null for the side's regional one
 * @param metadataHost the Google metadata server's host; null for this machine's
 */
public record AssumedRole(String roleArn, Identity identity, String audience, String stsEndpoint, String metadataHost)
    implements Serializable {
  public static final String DEFAULT_AUDIENCE = "sts.amazonaws.com";
  static final int SESSION_SECONDS = 3600;
  private static final Pattern ARN = Pattern.compile("arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,128}");

  /** What proves the worker's identity to STS. */
  public enum Identity {
    /** Google's identity token when a Google metadata server answers and the side names no AWS credentials. */
    AUTO,
    /** The Google service account's identity token (AssumeRoleWithWebIdentity). */
    GOOGLE,
    /** The side's AWS credentials (AssumeRole). */
    AWS;

    public static Identity parse(String option, String value) {
      try {
        return valueOf(value.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(option + "='" + value + "': expected auto, google or aws");
      }
    }
  }

  /** Checks an option's role ARN has the shape IAM gives them ({@code arn:aws:iam::ACCOUNT:role/NAME}). */
  public static String checkArn(String option, String value) {
    String arn = value.strip();
    if (!ARN.matcher(arn).matches()) {
      throw new IllegalArgumentException(option + "='" + value + "': expected a role ARN such as"
          + " arn:aws:iam::123456789012:role/replicator");
    }
    return arn;
  }

  /**
   * Credentials of this role: {@code base} (the side's own credentials; {@code baseNamed} when a
   * profile or credentials file names them, which makes {@link Identity#AUTO} use them) signs the
   * AssumeRole request, unless the Google identity is used.
   */
  AwsCredentialsProvider provider(AwsCredentialsProvider base, boolean baseNamed, Region region) {
    GoogleMetadata metadata = metadataHost == null ? GoogleMetadata.ofThisMachine() : new GoogleMetadata(metadataHost);
    boolean google = identity == Identity.GOOGLE || (identity == Identity.AUTO && !baseNamed && metadata.answers());
    var sts = StsClient.builder().region(region).httpClientBuilder(ApacheHttpClient.builder())
        .credentialsProvider(google ? AnonymousCredentialsProvider.create() : base);
    if (stsEndpoint != null) {
      sts.endpointOverride(URI.create(stsEndpoint));
    }
    String session = sessionName();
    AwsCredentialsProvider provider = google
        ? StsAssumeRoleWithWebIdentityCredentialsProvider.builder().stsClient(sts.build())
            .refreshRequest(() -> AssumeRoleWithWebIdentityRequest.builder().roleArn(roleArn).roleSessionName(session)
                .durationSeconds(SESSION_SECONDS).webIdentityToken(metadata.identityToken(audience)).build())
            .build()
        : StsAssumeRoleCredentialsProvider.builder().stsClient(sts.build())
            .refreshRequest(AssumeRoleRequest.builder().roleArn(roleArn).roleSessionName(session)
                .durationSeconds(SESSION_SECONDS).build())
            .build();
    return new Described(provider, "assuming the role " + roleArn + " through STS ("
        + (google ? "the Google service account's identity token" : "the side's AWS credentials") + ")");
  }

  /** What the sessions are called in CloudTrail: the tool and the worker's host. */
  static String sessionName() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "worker";
    }
    String name = ("replicator-" + host).replaceAll("[^\\w+=,.@-]", "-");
    return name.length() > 64 ? name.substring(0, 64) : name;
  }

  /**
   * Failures of the role said in words of our own: what was tried and what STS or the metadata
   * server answered, never the token or the keys a request carried.
   */
  private record Described(AwsCredentialsProvider delegate, String what) implements AwsCredentialsProvider {
    @Override
    public AwsCredentials resolveCredentials() {
      try {
        return delegate.resolveCredentials();
      } catch (StsException e) {
        String code = e.awsErrorDetails() == null ? "" : " " + e.awsErrorDetails().errorCode();
        String message = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorMessage();
        throw new RoleNotAssumedException(what + " failed: STS answered HTTP " + e.statusCode() + code
            + (message == null || message.isBlank() ? "" : " (" + message.lines().findFirst().orElse("") + ")"), e);
      } catch (SdkException | IllegalStateException | java.io.UncheckedIOException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (message.contains("Unable to load credentials") || message.contains("contained no credentials")) {
          // The SDK's own text lists the machine's profiles: say what is missing in words of our own.
          message = "no AWS credentials to sign the AssumeRole with (name a profile or a credentials file for the"
              + " side, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or on Google Cloud use --roleIdentity=google)";
        }
        throw new RoleNotAssumedException(what + " failed: " + message.lines().findFirst().orElse(""), e);
      }
    }
  }

  /**
   * The role could not be assumed; the message says why, without any credential. A client error of
   * the SDK, so every request that needed the credentials fails as a request does.
   */
  public static final class RoleNotAssumedException extends SdkClientException {
    RoleNotAssumedException(String message, Throwable cause) {
      super(SdkClientException.builder().message(message).cause(cause));
    }
  }
}
