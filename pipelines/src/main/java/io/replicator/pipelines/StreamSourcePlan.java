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
    Duration streamFor) {

  /** Where the events come from. */
  enum Kind { KAFKA, PUBSUB, FILES }

  /** @param changes the {@code --changes} file pattern to watch, or null */
  static StreamSourcePlan from(StreamSourceOptions o, String changes) {
    String bootstrap = blankToNull(o.getKafkaBootstrapServers());
    String topics = blankToNull(o.getKafkaTopics());
    String topicPattern = blankToNull(o.getKafkaTopicPattern());
    String subscription = blankToNull(o.getPubsubSubscription());
    int sources = (bootstrap == null ? 0 : 1) + (subscription == null ? 0 : 1) + (changes == null ? 0 : 1);
    if (sources != 1) {
      throw new OptionsException(sources == 0
          ? "--streaming needs a source: --kafkaBootstrapServers (with --kafkaTopics or --kafkaTopicPattern),"
              + " --pubsubSubscription, or --changes (a file pattern to watch)"
          : "give one source: --kafkaBootstrapServers, --pubsubSubscription or --changes");
    }
    Kind kind;
    if (bootstrap != null) {
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
        blankToNull(o.getStreamFor()) == null ? null : DurationOption.parse(o.getStreamFor(), "--streamFor"));
  }

  /** What the stream reads, for the launch message. */
  String describe() {
    return switch (kind) {
      case KAFKA -> "Kafka " + (kafkaTopicPattern != null ? "topics matching " + kafkaTopicPattern
          : String.join(",", kafkaTopics)) + " (group " + kafkaGroup + ")";
      case PUBSUB -> "Pub/Sub " + pubsubSubscription;
      case FILES -> "files arriving at " + changes;
    };
  }
}
