package io.replicator.warehouse.bigquery;

import com.google.api.client.util.Data;
import com.google.api.services.bigquery.model.ErrorProto;
import com.google.api.services.bigquery.model.GetQueryResultsResponse;
import com.google.api.services.bigquery.model.Job;
import com.google.api.services.bigquery.model.JobConfiguration;
import com.google.api.services.bigquery.model.JobConfigurationQuery;
import com.google.api.services.bigquery.model.JobReference;
import com.google.api.services.bigquery.model.QueryParameter;
import com.google.api.services.bigquery.model.QueryParameterType;
import com.google.api.services.bigquery.model.QueryParameterValue;
import com.google.api.services.bigquery.model.TableCell;
import com.google.api.services.bigquery.model.TableRow;
import io.replicator.warehouse.spi.WarehouseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * Runs BigQuery jobs under ids the caller chooses: {@code BASE_0}, then {@code BASE_1} after a
 * retryable failure, and so on. A job whose id exists already is looked up and waited for, never
 * submitted twice, so a re-run of the same work finds what an earlier run did. An existing job that
 * failed is an earlier run's failed try: the next id is tried.
 */
final class BigQueryJobs {
  private final BigQueryClient client;
  private final Backoff backoff;

  BigQueryJobs(BigQueryClient client) {
    this.client = client;
    BigQuerySettings s = client.settings();
    this.backoff = new Backoff(s.maxAttempts(), s.initialBackoffMillis());
  }

  /** A finished, successful job; {@code earlier} when an earlier run had submitted it. */
  record Done(Job job, boolean earlier) {
    String id() {
      return job.getJobReference().getJobId();
    }
  }

  /** Runs a job to success, or throws with BigQuery's error; {@code what} starts the message. */
  Done run(String what, String baseId, String kind, JobConfiguration config) {
    Map<String, String> labels = new LinkedHashMap<>(client.settings().jobLabels());
    labels.put("replicator", kind);
    config.setLabels(labels);
    int failures = 0;
    for (int attempt = 0; ; attempt++) {
      String id = baseId + "_" + attempt;
      Job job = new Job().setConfiguration(config).setJobReference(new JobReference()
          .setProjectId(client.settings().project()).setJobId(id).setLocation(client.settings().location()));
      Optional<Job> submitted = client.insertJob(job);
      boolean earlier = submitted.isEmpty();
      Job done = waitDone(earlier ? client.getJob(id) : submitted.get());
      ErrorProto error = done.getStatus().getErrorResult();
      if (error == null) {
        return new Done(done, earlier);
      }
      if (earlier) {
        continue;
      }
      failures++;
      if (!retryable(error) || failures >= backoff.maxAttempts()) {
        throw new WarehouseException(what + " failed: BigQuery job " + id + " ended with " + describe(done)
            + (failures > 1 ? " (after " + failures + " attempts)" : ""));
      }
      backoff.sleep(failures);
    }
  }

  private Job waitDone(Job job) {
    long wait = 200;
    Job current = job;
    while (current.getStatus() == null || !"DONE".equals(current.getStatus().getState())) {
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new WarehouseException("interrupted while waiting for BigQuery job "
            + job.getJobReference().getJobId(), e);
      }
      wait = Math.min(5_000, wait * 2);
      current = client.getJob(current.getJobReference().getJobId());
    }
    return current;
  }

  /** Rate limits, backend errors and transactions aborted by a concurrent one pass when tried again. */
  static boolean retryable(ErrorProto error) {
    String message = error.getMessage() == null ? "" : error.getMessage().toLowerCase(Locale.ROOT);
    return BigQueryClient.RETRYABLE_REASONS.contains(error.getReason())
        || message.contains("concurrent update") || message.contains("could not serialize access");
  }

  private static String describe(Job job) {
    ErrorProto error = job.getStatus().getErrorResult();
    StringJoiner all = new StringJoiner("; ");
    all.add(error.getReason() + ": " + error.getMessage());
    if (job.getStatus().getErrors() != null) {
      for (ErrorProto e : job.getStatus().getErrors()) {
        if (e.getMessage() != null && !e.getMessage().equals(error.getMessage())) {
          all.add((e.getLocation() == null ? "" : e.getLocation() + ": ") + e.getMessage());
        }
        if (all.length() > 2000) {
          break;
        }
      }
    }
    return all.toString();
  }

  /** A GoogleSQL query or script with named parameters (String, Long, Integer, Double, Boolean). */
  static JobConfiguration query(String sql, Map<String, ?> params) {
    JobConfigurationQuery q = new JobConfigurationQuery().setQuery(sql).setUseLegacySql(false);
    if (!params.isEmpty()) {
      List<QueryParameter> list = new ArrayList<>();
      params.forEach((name, value) -> list.add(new QueryParameter().setName(name)
          .setParameterType(new QueryParameterType().setType(typeOf(name, value)))
          .setParameterValue(new QueryParameterValue().setValue(String.valueOf(value)))));
      q.setParameterMode("NAMED").setQueryParameters(list);
    }
    return new JobConfiguration().setQuery(q);
  }

  private static String typeOf(String name, Object value) {
    if (value instanceof String) {
      return "STRING";
    } else if (value instanceof Long || value instanceof Integer) {
      return "INT64";
    } else if (value instanceof Double) {
      return "FLOAT64";
    } else if (value instanceof Boolean) {
      return "BOOL";
    }
    throw new IllegalArgumentException("parameter " + name + " has an unsupported type " + value.getClass());
  }

  /** Every row of a finished query job's result, each cell as text or null. */
  List<String[]> rows(String jobId) {
    List<String[]> rows = new ArrayList<>();
    forEachRow(jobId, rows::add);
    return rows;
  }

  interface RowConsumer {
    void accept(String[] row) throws Exception;
  }

  /** Streams a finished query job's result, a page at a time. */
  void forEachRow(String jobId, RowConsumer consumer) {
    String page = null;
    do {
      GetQueryResultsResponse r = client.queryResults(jobId, page);
      if (r.getRows() != null) {
        for (TableRow row : r.getRows()) {
          List<TableCell> cells = row.getF();
          String[] values = new String[cells.size()];
          for (int i = 0; i < values.length; i++) {
            Object v = cells.get(i).getV();
            values[i] = v == null || Data.isNull(v) ? null : v.toString();
          }
          try {
            consumer.accept(values);
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new WarehouseException("reading the result of job " + jobId + " failed: " + e.getMessage(), e);
          }
        }
      }
      page = r.getPageToken();
    } while (page != null);
  }

  /** The one row of a script's final SELECT, by column position. */
  String[] singleRow(String jobId) {
    List<String[]> rows = rows(jobId);
    if (rows.size() != 1) {
      throw new WarehouseException("BigQuery job " + jobId + " returned " + rows.size() + " rows, expected 1");
    }
    return rows.get(0);
  }

  static Map<String, Object> params(Object... nameValue) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < nameValue.length; i += 2) {
      m.put((String) nameValue[i], nameValue[i + 1]);
    }
    return m;
  }
}
