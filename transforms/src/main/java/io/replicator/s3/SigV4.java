package io.replicator.s3;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * AWS Signature Version 4 for S3 requests, their payload unsigned unless its hash is given (the
 * body of a multipart upload's completion): the headers to send, {@code Authorization} included.
 * It signs what the SDK's S3 signer signs, the same way ({@code SigV4Test} holds the two equal),
 * without the request copies, header maps and builders the SDK's makes per request: a first sync
 * of many small objects signs one request per object on a CPU it shares with the server, and there
 * the SDK's signer was a quarter of the copy threads' CPU. The signing key, which changes once a
 * day, is kept per thread.
 */
final class SigV4 {
  static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final ThreadLocal<SigV4> PER_THREAD = ThreadLocal.withInitial(SigV4::new);

  private final MessageDigest sha256;
  private final Mac hmac;
  /** Keyed with the signing key of {@link #keyScope} for {@link #keySecret}. */
  private final Mac signer;
  private String keySecret;
  private String keyScope;

  private SigV4() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
      hmac = Mac.getInstance("HmacSHA256");
      signer = Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no SHA-256 or HmacSHA256", e);
    }
  }

  /**
   * The headers of {@code method} on {@code uri} signed at {@code now}: {@code headers} (lower-case
   * names) with {@code host}, {@code x-amz-date}, the session token of session credentials and
   * {@code authorization} added, sorted by name. The payload is unsigned unless {@code headers}
   * give its hash as {@code x-amz-content-sha256} ({@link #payloadHash}). The URI's query is signed
   * as it is written: it must be in canonical form already (parameters sorted, values encoded as
   * {@link S3Http#encodeQuery} does).
   */
  static Map<String, String> sign(String method, URI uri, Map<String, String> headers, AwsCredentials credentials,
      String region, Instant now) {
    return PER_THREAD.get().signed(method, uri, headers, credentials, region, now);
  }

  /** The {@code x-amz-content-sha256} of a request that sends {@code body}. */
  static String payloadHash(byte[] body) {
    return hex(PER_THREAD.get().sha256.digest(body));
  }

  private Map<String, String> signed(String method, URI uri, Map<String, String> headers,
      AwsCredentials credentials, String region, Instant now) {
    LocalDateTime time = LocalDateTime.ofEpochSecond(now.getEpochSecond(), 0, ZoneOffset.UTC);
    String date = digits(time.getYear(), 4) + digits(time.getMonthValue(), 2) + digits(time.getDayOfMonth(), 2);
    String dateTime = date + 'T' + digits(time.getHour(), 2) + digits(time.getMinute(), 2)
        + digits(time.getSecond(), 2) + 'Z';
    String scope = date + '/' + region + "/s3/aws4_request";

    TreeMap<String, String> signed = new TreeMap<>(headers);
    int port = uri.getPort();
    boolean defaultPort = port == -1 || (port == 80 && "http".equals(uri.getScheme()))
        || (port == 443 && "https".equals(uri.getScheme()));
    signed.put("host", defaultPort ? uri.getHost() : uri.getHost() + ':' + port);
    signed.put("x-amz-date", dateTime);
    String payload = signed.computeIfAbsent("x-amz-content-sha256", h -> UNSIGNED_PAYLOAD);
    if (credentials instanceof AwsSessionCredentials session) {
      signed.put("x-amz-security-token", session.sessionToken());
    }

    StringBuilder canonical = new StringBuilder(512).append(method).append('\n');
    String path = uri.getRawPath();
    canonical.append(path == null || path.isEmpty() ? "/" : path).append('\n');
    canonical.append(uri.getRawQuery() == null ? "" : uri.getRawQuery()).append('\n');
    StringBuilder names = new StringBuilder(160);
    for (Map.Entry<String, String> header : signed.entrySet()) {
      canonical.append(header.getKey()).append(':');
      trimmed(header.getValue(), canonical);
      canonical.append('\n');
      names.append(names.length() == 0 ? "" : ";").append(header.getKey());
    }
    canonical.append('\n').append(names).append('\n').append(payload);

    String toSign = "AWS4-HMAC-SHA256\n" + dateTime + '\n' + scope + '\n'
        + hex(sha256.digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
    String signature = hex(signer(credentials.secretAccessKey(), date, region, scope)
        .doFinal(toSign.getBytes(StandardCharsets.UTF_8)));
    signed.put("authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.accessKeyId() + '/' + scope
        + ", SignedHeaders=" + names + ", Signature=" + signature);
    return signed;
  }

  private Mac signer(String secret, String date, String region, String scope) {
    if (!scope.equals(keyScope) || !secret.equals(keySecret)) {
      byte[] dated = mac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
      init(signer, mac(mac(mac(dated, region), "s3"), "aws4_request"));
      keyScope = scope;
      keySecret = secret;
    }
    return signer;
  }

  private byte[] mac(byte[] key, String data) {
    init(hmac, key);
    return hmac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }

  private static void init(Mac mac, byte[] key) {
    try {
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 refused a key", e);
    }
  }

  /** A header value as SigV4 signs it: trimmed, each run of spaces one space. */
  private static void trimmed(String value, StringBuilder out) {
    String v = value.strip();
    boolean space = false;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == ' ') {
        if (!space) {
          out.append(c);
        }
        space = true;
      } else {
        out.append(c);
        space = false;
      }
    }
  }

  private static String digits(int value, int width) {
    String s = Integer.toString(value);
    return s.length() >= width ? s : "0".repeat(width - s.length()) + s;
  }

  private static String hex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[bytes[i] & 0xf];
    }
    return new String(out);
  }
}
