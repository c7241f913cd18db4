package io.replicator.pipelines;

import static io.replicator.pipelines.OptionChecks.blankToNull;
import static io.replicator.pipelines.OptionChecks.require;
import static io.replicator.pipelines.OptionChecks.splitList;
import static io.replicator.pipelines.OptionChecks.wrap;

import io.replicator.stream.ReadPubsubEvents;
import java.util.List;
import java.util.regex.Pattern;
import org.joda.time.Duration;

/**
 * The {@link StreamSourceOptions}, checked: where a stream's events come from (one of Kafka, Pub/Sub
 * or watched files), how often windows are merged, and for how long the stream runs (null: until
 * stopped).
 */
record StreamSourcePlan(
    Kind kind,
    String kafkaBootstrapServers,
    List<String> kafkaTopics,
    String kafkaTopicPattern,
    String kafkaGroup,
    String pubsubSubscription,
    String changes,
    Duration watchInterval,
    Duration loadInterval,
    Duration keyChangePairWait,
    Duration streamFor,
    SlotPlan slot) {

  /** Where the events come from. */
  enum Kind { KAFKA, PUBSUB, FILES, SLOT }

  /**
   * @param changes the {@code --changes} file pattern to watch, or null
   * @param slot the replication slot to read, or null
   */
  static StreamSourcePlan from(StreamSourceOptions o, String changes, SlotPlan slot) {
    String bootstrap = blankToNull(o.getKafkaBootstrapServers());
    String topics = blankToNull(o.getKafkaTopics());
    String topicPattern = blankToNull(o.getKafkaTopicPattern());
    String subscription = blankToNull(o.getPubsubSubscription());
    int sources = (bootstrap == null ? 0 : 1) + (subscription == null ? 0 : 1) + (changes == null ? 0 : 1)
        + (slot == null ? 0 : 1);
    if (sources != 1) {
      throw new OptionsException(sources == 0
          ? "--streaming needs a source: --kafkaBootstrapServers (with --kafkaTopics or --kafkaTopicPattern),"
              + " --pubsubSubscription, --changes (a file pattern to watch) or --slot (a PostgreSQL replication slot)"
          : "give one source: --kafkaBootstrapServers, --pubsubSubscription, --changes or --slot");
    }
    Kind kind;
    if (slot != null) {
      kind = Kind.SLOT;
    } else if (bootstrap != null) {
      if ((topics == null) == (topicPattern == null)) {
        throw new OptionsException("--kafkaBootstrapServers needs one of --kafkaTopics (a list) or --kafkaTopicPattern"
            + " (a regular expression)");
      }
      if (topicPattern != null) {
        wrap(() -> Pattern.compile(topicPattern), "--kafkaTopicPattern");
      }
      kind = Kind.KAFKA;
    } else if (subscription != null) {
      wrap(() -> ReadPubsubEvents.from(subscription), "--pubsubSubscription");
      kind = Kind.PUBSUB;
    } else {
      OptionChecks.refuseDirectory(changes, "--changes");
      if (topics != null || topicPattern != null) {
        throw new OptionsException((topics != null ? "--kafkaTopics" : "--kafkaTopicPattern")
            + " needs --kafkaBootstrapServers");
      }
      kind = Kind.FILES;
    }
    return new StreamSourcePlan(kind, bootstrap, topics == null ? List.of() : splitList(topics), topicPattern,
        require(o.getKafkaGroup(), "--kafkaGroup", "the Kafka consumer group progress is committed to"),
        subscription, changes,
        DurationOption.parse(o.getWatchInterval(), "--watchInterval"),
        DurationOption.parse(o.getLoadInterval(), "--loadInterval"),
        DurationOption.parse(o.getKeyChangePairWait(), "--keyChangePairWait"),
        blankToNull(o.getStreamFor()) == null ? null : DurationOption.parse(o.getStreamFor(), "--streamFor"), slot);
  }

  /** What the stream reads, for the launch message. */
  String describe() {
    return switch (kind) {
      case KAFKA -> "Kafka " + (kafkaTopicPattern != null ? "topics matching " + kafkaTopicPattern
          : String.join(",", kafkaTopics)) + " (group " + kafkaGroup + ")";
      case PUBSUB -> "Pub/Sub " + pubsubSubscription;
      case FILES -> "files arriving at " + changes;
      case SLOT -> slot.slot().toString();
    };
  }
}
