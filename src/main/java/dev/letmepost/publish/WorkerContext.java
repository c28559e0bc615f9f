package dev.letmepost.publish;

import dev.letmepost.client.Backoff;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.Consumer;

/**
 * What the parts of one publisher worker ({@link PollLoop}, {@link PartitionLease}, {@link
 * AssignmentRecovery}, {@link TaskJob}) share: its settings and clock, its consumer of the publish
 * topic, its journal, the tasks it holds, and how it stops: the flag set once it is being closed
 * (or its poll thread was interrupted), and the sleeper for its pauses, whose waits end then.
 */
record WorkerContext(
    PublisherConfig config,
    Clock clock,
    Consumer<String, byte[]> consumer,
    Journal journal,
    InFlight inFlight,
    AtomicBoolean closing,
    Backoff.Sleeper sleeper) {

  /** The worker's transactional id, which its journal entries and its logs name. */
  String holder() {
    return config.transactionalId();
  }

  /** The publish topic of the worker's platform. */
  String taskTopic() {
    return config.topics().publish(config.platform()).name();
  }
}
