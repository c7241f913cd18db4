package io.replicator.stream;

import com.google.api.client.util.Clock;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.IncomingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.PubsubClientFactory;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.SubscriptionPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubJsonClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * Reads change events from a Pub/Sub subscription as {@link SourceEvent}s ({@code
 * pubsub:<subscription>}, the publish time, the message's data, its ack id), stamped with the time
 * they are pulled. Messages are not acknowledged here: {@link PubsubAcks} acknowledges them once
 * their window is merged. Their ack deadline is extended to Pub/Sub's longest (10 minutes) when
 * pulled; a message its window has not merged by then is delivered again, which the merge's
 * sequence guards make harmless.
 *
 * <pre>{@code
 * PCollection<SourceEvent> events = p.apply(ReadPubsubEvents.from("projects/p/subscriptions/cdc"));
 * }</pre>
 */
public final class ReadPubsubEvents extends PTransform<PBegin, PCollection<SourceEvent>> {
  /** Pub/Sub's longest ack deadline. */
  static final int ACK_DEADLINE_SECONDS = 600;
  private static final int READERS = 4;

  /** A clock that travels with the source to the workers. */
  public interface PullClock extends Clock, java.io.Serializable {
    PullClock SYSTEM = System::currentTimeMillis;
  }

  private final String subscription;
  private final PubsubClientFactory clients;
  private final PullClock clock;

  private ReadPubsubEvents(String subscription, PubsubClientFactory clients, PullClock clock) {
    this.subscription = subscription;
    this.clients = clients;
    this.clock = clock;
  }

  /** {@code projects/<project>/subscriptions/<name>}. */
  public static ReadPubsubEvents from(String subscription) {
    return new ReadPubsubEvents(checkPath(subscription), PubsubJsonClient.FACTORY, PullClock.SYSTEM);
  }

  static String checkPath(String subscription) {
    if (subscription == null || !subscription.matches("projects/[^/]+/subscriptions/[^/]+")) {
      throw new IllegalArgumentException("'" + subscription + "' is not a Pub/Sub subscription: expected"
          + " projects/<project>/subscriptions/<name>");
    }
    return subscription;
  }

  /** Another Pub/Sub client (Beam's test client, an emulator's) and the clock its pulls are timed by. */
  public ReadPubsubEvents withClientFactory(PubsubClientFactory clients, PullClock clock) {
    return new ReadPubsubEvents(subscription, clients, clock);
  }

  /** The source name events of {@code subscription} carry. */
  public static String sourceOf(String subscription) {
    return "pubsub:" + subscription.substring(subscription.lastIndexOf('/') + 1);
  }

  @Override
  public PCollection<SourceEvent> expand(PBegin input) {
    return input.apply("Pull Pub/Sub", Read.from(new Source(subscription, clients, clock)));
  }

  /** Several readers of one subscription; Pub/Sub spreads the messages among them. */
  static final class Source extends UnboundedSource<SourceEvent, Checkpoint> {
    private final String subscription;
    private final PubsubClientFactory clients;
    private final PullClock clock;

    Source(String subscription, PubsubClientFactory clients, PullClock clock) {
      this.subscription = subscription;
      this.clients = clients;
      this.clock = clock;
    }

    @Override
    public List<Source> split(int desiredNumSplits, PipelineOptions options) {
      List<Source> readers = new ArrayList<>();
      for (int i = 0; i < Math.max(1, Math.min(desiredNumSplits, READERS)); i++) {
        readers.add(this);
      }
      return readers;
    }

    @Override
    public UnboundedSource.UnboundedReader<SourceEvent> createReader(PipelineOptions options, Checkpoint checkpoint)
        throws IOException {
      PullReader reader = new PullReader(this, clients.newClient(null, null, options.as(PubsubOptions.class)));
      if (checkpoint != null) {
        reader.pulled.addAll(checkpoint.unread); // Pulled by the reader before this one, not yet read.
      }
      return reader;
    }

    @Override
    public Coder<Checkpoint> getCheckpointMarkCoder() {
      return SerializableCoder.of(Checkpoint.class);
    }

    @Override
    public Coder<SourceEvent> getOutputCoder() {
      return SourceEvent.coder();
    }
  }

  /**
   * The messages pulled but not read yet, for the reader that resumes. Nothing is acknowledged at a
   * checkpoint: acknowledging waits for the merge.
   */
  static final class Checkpoint implements UnboundedSource.CheckpointMark, java.io.Serializable {
    final ArrayList<IncomingMessage> unread;

    Checkpoint(ArrayList<IncomingMessage> unread) {
      this.unread = unread;
    }

    @Override
    public void finalizeCheckpoint() {}
  }

  private static final class PullReader extends UnboundedSource.UnboundedReader<SourceEvent> {
    private final Source source;
    private final PubsubClient client;
    private final SubscriptionPath path;
    private final String name;
    private final ArrayDeque<IncomingMessage> pulled = new ArrayDeque<>();
    private IncomingMessage current;
    private Instant currentTime;
    private Instant lastPull = BoundedWindow.TIMESTAMP_MIN_VALUE;

    PullReader(Source source, PubsubClient client) {
      this.source = source;
      this.client = client;
      this.path = PubsubClient.subscriptionPathFromPath(source.subscription);
      this.name = sourceOf(source.subscription);
    }

    @Override
    public boolean start() throws IOException {
      return advance();
    }

    @Override
    public boolean advance() throws IOException {
      if (pulled.isEmpty()) {
        lastPull = Instant.now();
        List<IncomingMessage> messages = client.pull(source.clock.currentTimeMillis(), path, 1000, true);
        if (!messages.isEmpty()) {
          List<String> ackIds = new ArrayList<>(messages.size());
          messages.forEach(m -> ackIds.add(m.ackId()));
          client.modifyAckDeadline(path, ackIds, ACK_DEADLINE_SECONDS);
          pulled.addAll(messages);
        }
      }
      current = pulled.poll();
      currentTime = Instant.now();
      return current != null;
    }

    @Override
    public SourceEvent getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      byte[] data = current.message().getData().toByteArray();
      SourceEvent e = SourceEvent.ofBytes(name, current.timestampMsSinceEpoch(), data, current.ackId());
      // A sink that carries Debezium's headers over carries them as attributes.
      Map<String, String> attributes = current.message().getAttributesMap();
      return attributes.containsKey(SourceEvent.NEW_KEY_HEADER) || attributes.containsKey(SourceEvent.OLD_KEY_HEADER)
          ? e.asSplitKeyChange() : e;
    }

    @Override
    public Instant getCurrentTimestamp() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return currentTime;
    }

    /** Events are stamped when pulled, so nothing later can be older than the last pull. */
    @Override
    public Instant getWatermark() {
      return lastPull;
    }

    @Override
    public Checkpoint getCheckpointMark() {
      return new Checkpoint(new ArrayList<>(pulled));
    }

    @Override
    public Source getCurrentSource() {
      return source;
    }

    @Override
    public void close() throws IOException {
      client.close();
    }
  }
}
