package io.replicator.warehouse.bigquery;

import com.google.api.client.googleapis.json.GoogleJsonError;
import com.google.api.client.googleapis.json.GoogleJsonResponseException;
import com.google.api.client.http.HttpRequestInitializer;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.bigquery.Bigquery;
import com.google.api.services.bigquery.BigqueryScopes;
import com.google.api.services.bigquery.model.GetQueryResultsResponse;
import com.google.api.services.bigquery.model.Job;
import com.google.api.services.bigquery.model.Table;
import com.google.api.services.bigquery.model.TableReference;
import com.google.auth.http.HttpCredentialsAdapter;
import com.google.auth.oauth2.GoogleCredentials;
import io.replicator.warehouse.spi.WarehouseException;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * The BigQuery REST calls the target makes, each retried with backoff when BigQuery answers that
 * it is busy (rate limits, 5xx) or the connection fails, and every other failure turned into a
 * message that names the call and BigQuery's reason.
 */
final class BigQueryClient {
  /** Reasons BigQuery gives for errors that pass when tried again later. */
  static final Set<String> RETRYABLE_REASONS =
      Set.of("rateLimitExceeded", "jobRateLimitExceeded", "backendError", "internalError", "jobBackendError");

  private final Bigquery api;
  private final BigQuerySettings settings;
  private final Backoff backoff;

  BigQueryClient(Bigquery api, BigQuerySettings settings) {
    this.api = api;
    this.settings = settings;
    this.backoff = new Backoff(settings.maxAttempts(), settings.initialBackoffMillis());
  }

  /** A client for {@code settings}: Application Default Credentials, or none for a local endpoint. */
  static BigQueryClient open(BigQuerySettings settings) {
    HttpRequestInitializer init;
    if (settings.isLocalEndpoint()) {
      init = request -> request.setConnectTimeout(20_000).setReadTimeout(60_000);
    } else {
      GoogleCredentials credentials;
      try {
        credentials = GoogleCredentials.getApplicationDefault().createScoped(BigqueryScopes.all());
      } catch (IOException e) {
        throw new WarehouseException("BigQuery needs Google credentials and found none: run"
            + " 'gcloud auth application-default login', or set GOOGLE_APPLICATION_CREDENTIALS to a key file ("
            + e.getMessage() + ")");
      }
      HttpCredentialsAdapter adapter = new HttpCredentialsAdapter(credentials);
      init = request -> {
        adapter.initialize(request);
        request.setConnectTimeout(20_000).setReadTimeout(120_000);
      };
    }
    Bigquery.Builder builder = new Bigquery.Builder(new NetHttpTransport(), GsonFactory.getDefaultInstance(), init)
        .setApplicationName("replicator");
    if (settings.endpoint() != null) {
      builder.setRootUrl(settings.endpoint());
    }
    return new BigQueryClient(builder.build(), settings);
  }

  BigQuerySettings settings() {
    return settings;
  }

  /** The same client with jobs run in {@code location}. */
  BigQueryClient withLocation(String location) {
    return new BigQueryClient(api, settings.withLocation(location));
  }

  /** The dataset's location, where its jobs must run; fails with how to create a missing dataset. */
  String datasetLocation() {
    return call("reading the dataset's location", () -> {
      try {
        return api.datasets().get(settings.project(), settings.dataset()).execute().getLocation();
      } catch (GoogleJsonResponseException e) {
        if (e.getStatusCode() == 404) {
          throw new WarehouseException("dataset " + settings + " does not exist; create it with"
              + " 'bq mk --dataset --location=LOCATION " + settings.project() + ":" + settings.dataset() + "'");
        }
        throw e;
      }
    });
  }

  TableReference ref(String table) {
    return new TableReference().setProjectId(settings.project()).setDatasetId(settings.dataset()).setTableId(table);
  }

  /** The table, or empty when it does not exist. */
  Optional<Table> getTable(String table) {
    return call("reading table " + table, () -> {
      try {
        return Optional.of(api.tables().get(settings.project(), settings.dataset(), table).execute());
      } catch (GoogleJsonResponseException e) {
        if (e.getStatusCode() == 404 && !isDatasetMissing(e)) {
          return Optional.<Table>empty();
        }
        throw e;
      }
    });
  }

  /** Creates a table; one that already exists is left as it is. */
  void createTable(Table table) {
    call("creating table " + table.getTableReference().getTableId(), () -> {
      try {
        api.tables().insert(settings.project(), settings.dataset(), table).execute();
      } catch (GoogleJsonResponseException e) {
        if (e.getStatusCode() != 409) {
          throw e;
        }
      }
      return null;
    });
  }

  /** Deletes a table; one already gone is fine. */
  void deleteTable(String table) {
    call("deleting table " + table, () -> {
      try {
        api.tables().delete(settings.project(), settings.dataset(), table).execute();
      } catch (GoogleJsonResponseException e) {
        if (e.getStatusCode() != 404) {
          throw e;
        }
      }
      return null;
    });
  }

  /** Submits a job; empty when a job of that id exists already (it is then looked up, not re-run). */
  Optional<Job> insertJob(Job job) {
    String id = job.getJobReference().getJobId();
    return call("submitting job " + id, () -> {
      try {
        return Optional.of(api.jobs().insert(settings.project(), job).execute());
      } catch (GoogleJsonResponseException e) {
        if (e.getStatusCode() == 409) {
          return Optional.<Job>empty();
        }
        throw e;
      }
    });
  }

  Job getJob(String jobId) {
    return call("reading job " + jobId, () -> {
      Bigquery.Jobs.Get get = api.jobs().get(settings.project(), jobId);
      if (settings.location() != null) {
        get.setLocation(settings.location());
      }
      return get.execute();
    });
  }

  /** One page of a finished query job's result. */
  GetQueryResultsResponse queryResults(String jobId, String pageToken) {
    return call("reading the result of job " + jobId, () -> {
      Bigquery.Jobs.GetQueryResults get = api.jobs().getQueryResults(settings.project(), jobId)
          .setMaxResults(20_000L).setPageToken(pageToken);
      if (settings.location() != null) {
        get.setLocation(settings.location());
      }
      return get.execute();
    });
  }

  private interface Call<T> {
    T run() throws IOException;
  }

  /** Runs a call, retrying what BigQuery says may pass later; {@code what} starts a failure's message. */
  private <T> T call(String what, Call<T> call) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.run();
      } catch (GoogleJsonResponseException e) {
        if (!retryable(e) || attempt >= backoff.maxAttempts()) {
          throw new WarehouseException(what + " in " + settings + " failed: " + describe(e)
              + (attempt > 1 ? " (after " + attempt + " attempts)" : ""), e);
        }
        backoff.sleep(attempt);
      } catch (IOException e) {
        if (attempt >= backoff.maxAttempts()) {
          throw new WarehouseException(what + " in " + settings + " failed: cannot reach BigQuery at "
              + (settings.endpoint() == null ? "bigquery.googleapis.com" : settings.endpoint()) + " after "
              + attempt + " attempts (" + e + ")", e);
        }
        backoff.sleep(attempt);
      }
    }
  }

  private static boolean retryable(GoogleJsonResponseException e) {
    int status = e.getStatusCode();
    if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504) {
      return true;
    }
    return status == 403 && RETRYABLE_REASONS.contains(reason(e));
  }

  private static boolean isDatasetMissing(GoogleJsonResponseException e) {
    return e.getDetails() != null && e.getDetails().getMessage() != null
        && e.getDetails().getMessage().contains("Not found: Dataset");
  }

  static String reason(GoogleJsonResponseException e) {
    GoogleJsonError details = e.getDetails();
    if (details == null || details.getErrors() == null || details.getErrors().isEmpty()) {
      return "";
    }
    String reason = details.getErrors().get(0).getReason();
    return reason == null ? "" : reason;
  }

  private static String describe(GoogleJsonResponseException e) {
    GoogleJsonError details = e.getDetails();
    String message = details != null && details.getMessage() != null ? details.getMessage() : e.getStatusMessage();
    String reason = reason(e);
    return "HTTP " + e.getStatusCode() + (reason.isEmpty() ? "" : " " + reason) + ": " + message;
  }
}
