package io.replicator.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The metadata server of a Google Cloud machine (a Dataflow worker included): whether this JVM runs
 * on one, and identity tokens of its service account. The host is {@code GCE_METADATA_HOST} when
 * set (as Google's own libraries read it), else the link-local address, so no DNS is involved.
 */
final class GoogleMetadata {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private final String host;

  GoogleMetadata(String host) {
    this.host = host;
  }

  /** The metadata server of this machine. */
  static GoogleMetadata ofThisMachine() {
    String host = System.getenv("GCE_METADATA_HOST");
    return new GoogleMetadata(host == null || host.isBlank() ? "169.254.169.254" : host.strip());
  }

  /**
   * Whether a Google metadata server answers here (within a second; AWS's metadata service at the
   * same address does not answer with Google's header).
   */
  boolean answers() {
    try {
      HttpResponse<Void> response = HTTP.send(request("/computeMetadata/v1/").timeout(Duration.ofSeconds(1)).build(),
          HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200
          && response.headers().firstValue("Metadata-Flavor").filter("Google"::equals).isPresent();
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * A fresh identity token (a JWT signed by Google, valid for an hour) of the machine's service
   * account for {@code audience}. The token is a bearer credential: it goes to STS and nowhere else.
   */
  String identityToken(String audience) {
    String path = "/computeMetadata/v1/instance/service-accounts/default/identity?format=full&audience="
        + URLEncoder.encode(audience, StandardCharsets.UTF_8);
    HttpResponse<String> response;
    try {
      response = HTTP.send(request(path).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("the Google metadata server at " + host + " cannot be reached: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking the Google metadata server for an identity token", e);
    }
    if (response.statusCode() != 200 || response.body().isBlank()) {
      // The body of a refusal is the server's explanation, never a token.
      throw new IllegalStateException("the Google metadata server at " + host + " gave no identity token: HTTP "
          + response.statusCode() + " " + response.body().lines().findFirst().orElse("").strip());
    }
    return response.body().strip();
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://" + host + path)).header("Metadata-Flavor", "Google").GET();
  }
}
