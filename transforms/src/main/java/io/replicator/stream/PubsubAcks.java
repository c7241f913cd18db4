package io.replicator.stream;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.PubsubClientFactory;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubJsonClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Acknowledges Pub/Sub messages once their window is merged, in requests of at most 1,000 ids. A
 * message not acknowledged (its window failed, the job stopped) is delivered again.
 */
public final class PubsubAcks implements ProgressCommitter {
  private static final int PER_REQUEST = 1000;

  private final String subscription;
  private final PubsubClientFactory clients;
  private transient PubsubClient client;

  public PubsubAcks(String subscription) {
    this(subscription, PubsubJsonClient.FACTORY);
  }

  /** With another Pub/Sub client (Beam's test client, an emulator's). */
  public PubsubAcks(String subscription, PubsubClientFactory clients) {
    this.subscription = ReadPubsubEvents.checkPath(subscription);
    this.clients = clients;
  }

  @Override
  public synchronized void commit(Map<String, Long> positions, Map<String, List<String>> ackIds) throws IOException {
    List<String> ids = ackIds.get(ReadPubsubEvents.sourceOf(subscription));
    if (ids == null || ids.isEmpty()) {
      return;
    }
    if (client == null) {
      client = clients.newClient(null, null, PipelineOptionsFactory.as(PubsubOptions.class));
    }
    PubsubClient.SubscriptionPath path = PubsubClient.subscriptionPathFromPath(subscription);
    for (int from = 0; from < ids.size(); from += PER_REQUEST) {
      client.acknowledge(path, ids.subList(from, Math.min(ids.size(), from + PER_REQUEST)));
    }
  }

  @Override
  public synchronized void close() {
    if (client != null) {
      try {
        client.close();
      } catch (IOException e) {
        // Closing releases the connection; nothing is lost if it fails.
      }
      client = null;
    }
  }
}
