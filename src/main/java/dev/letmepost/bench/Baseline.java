package dev.letmepost.bench;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

/**
 * A running baseline application: started on the commands from a given position, run through its
 * warm-up, then paused until it is timed over the measured commands.
 */
final class Baseline implements AutoCloseable {
  private final KafkaStreams streams;
  private final String group;
  private final String input;

  private Baseline(KafkaStreams streams, String group, String input) {
    this.streams = streams;
    this.group = group;
    this.input = input;
  }

  /**
   * Starts {@code topology} reading {@code input} from {@code start} (its group's committed offsets
   * are set there first) and returns it paused once it has committed up to {@code warmEnd}.
   */
  static Baseline warm(
      Probe probe,
      Properties streamsProperties,
      Topology topology,
      String input,
      Map<TopicPartition, Long> start,
      long warmEnd)
      throws InterruptedException {
    String group =
        streamsProperties.getProperty(org.apache.kafka.streams.StreamsConfig.APPLICATION_ID_CONFIG);
    probe.commit(group, start);
    Baseline b = new Baseline(new KafkaStreams(topology, streamsProperties), group, input);
    try {
      b.streams.start();
      b.resumeUntilCommitted(probe, warmEnd, Duration.ofMinutes(2));
      return b;
    } catch (RuntimeException | InterruptedException e) {
      b.close();
      throw e;
    }
  }

  /** Resumes processing and returns, paused again, once the group committed up to {@code end}. */
  void resumeUntilCommitted(Probe probe, long end, Duration timeout) throws InterruptedException {
    streams.resume();
    long deadline = System.nanoTime() + timeout.toNanos();
    long committed;
    while ((committed = probe.committed(group, input)) < end) {
      if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException(
            "baseline "
                + group
                + " committed up to "
                + committed
                + " of "
                + end
                + " on "
                + input
                + " within "
                + timeout
                + " (state "
                + streams.state()
                + ")");
      }
      Thread.sleep(10);
    }
    streams.pause();
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
