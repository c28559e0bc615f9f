package dev.letmepost.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Test helpers for the background readers: a one-partition {@link MockConsumer} of a topic, and a
 * {@link Backoff.Sleeper} that records each backoff and waits until the test lets it go.
 */
public final class MockReaders {
  private MockReaders() {}

  /** A consumer of {@code topic}, one partition holding offsets 0 to {@code end} - 1. */
  public static MockConsumer<String, byte[]> consumer(String topic, long end) {
    MockConsumer<String, byte[]> c = new MockConsumer<>("earliest");
    Node node = new Node(0, "localhost", 9092);
    Node[] nodes = {node};
    c.updatePartitions(topic, List.of(new PartitionInfo(topic, 0, node, nodes, nodes)));
    TopicPartition tp = new TopicPartition(topic, 0);
    c.updateBeginningOffsets(Map.of(tp, 0L));
    c.updateEndOffsets(Map.of(tp, end));
    return c;
  }

  /** A sleeper that records each delay and returns only once {@link #release()}d. */
  public static final class GatedSleeper implements Backoff.Sleeper {
    public final List<Duration> delays = new CopyOnWriteArrayList<>();
    private final Semaphore permits = new Semaphore(0);

    @Override
    public void sleep(Duration d) throws InterruptedException {
      delays.add(d);
      permits.acquire();
    }

    /** Ends one sleep, now or when it starts. */
    public void release() {
      permits.release();
    }
  }
}
