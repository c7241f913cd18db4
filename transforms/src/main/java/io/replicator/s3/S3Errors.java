package io.replicator.s3;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** S3 failures as one line naming what was tried, where, and what the server said. */
public final class S3Errors {
  private S3Errors() {}

  public static String describe(String what, S3Endpoint endpoint, SdkException e) {
    if (e instanceof S3Exception s3) {
      String code = s3.awsErrorDetails() == null ? "" : s3.awsErrorDetails().errorCode();
      String hint = switch (code == null ? "" : code) {
        case "NoSuchBucket" -> "the bucket does not exist";
        case "InvalidAccessKeyId", "SignatureDoesNotMatch" -> "the credentials are not accepted";
        case "AccessDenied" -> "access denied";
        case "PreconditionFailed" -> "the source object changed since it was listed";
        case "PermanentRedirect", "AuthorizationHeaderMalformed" ->
            "the bucket is in another region: give --sourceRegion or --targetRegion";
        default -> "";
      };
      return what + " at " + endpoint.describe() + " failed: HTTP " + s3.statusCode() + " " + code
          + (hint.isEmpty() ? "" : " (" + hint + ")");
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof AssumedRole.RoleNotAssumedException role) {
        return what + " at " + endpoint.describe() + " failed: " + role.getMessage();
      }
      if (t instanceof S3Http.UnreadableAnswer answer) {
        // Reached, and answered with something else than was asked for.
        return what + " at " + endpoint.describe() + " failed: " + firstLine(answer.getMessage());
      }
    }
    if (e instanceof SdkClientException) {
      String message = firstLine(e.getMessage());
      // The SDK's own text can quote the credentials file: say what is missing in words of our own.
      if (message.contains("Unable to load credentials") || message.contains("contained no credentials")) {
        return what + " at " + endpoint.describe() + " failed: no AWS credentials ("
            + (endpoint.profile() != null ? "the profile '" + endpoint.profile() + "' has none in the AWS credentials file"
                : "none in the environment, the AWS files or the machine's role")
            + "; name a profile with --sourceProfile / --targetProfile, a file with --sourceCredentialsFile /"
            + " --targetCredentialsFile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
      }
      if (message.contains("Unable to load region")) {
        return what + " at " + endpoint.describe() + " failed: no AWS region; give --sourceRegion / --targetRegion"
            + " or set AWS_REGION";
      }
      return what + " failed: cannot reach " + endpoint.describe() + " (" + message + ")";
    }
    return what + " at " + endpoint.describe() + " failed: " + firstLine(e.getMessage());
  }

  /** Whether the failure is a 412 on a conditional request: the object is not what was planned. */
  public static boolean isPreconditionFailed(SdkException e) {
    return e instanceof S3Exception s3 && s3.statusCode() == 412;
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
