package dev.letmepost.testing;

import dev.letmepost.broker.EmbeddedBroker;
import dev.letmepost.broker.TopicSetup;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The Kafka broker shared by every integration test of a JVM: a real {@link EmbeddedBroker} on a
 * free port and a temporary data directory, started on first use and stopped (its data deleted)
 * when the JVM exits.
 *
 * <p>Tests share the broker, so each must name its topics and application ids with a {@link
 * #uniquePrefix()}.
 */
public final class TestBroker {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

  private TestBroker() {}

  /** The {@code bootstrap.servers} of the shared broker, starting it on first use. */
  public static String bootstrapServers() {
    return Holder.BROKER.bootstrapServers();
  }

  /**
   * A topic prefix no other call in this JVM returns, such as {@code "t7k3q9z."}; also usable as
   * the start of an application id.
   */
  public static String uniquePrefix() {
    StringBuilder prefix = new StringBuilder("t").append(COUNTER.incrementAndGet());
    for (int i = 0; i < 4; i++) {
      prefix.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return prefix.append('.').toString();
  }

  /** Creates every topic of {@code topics} on the shared broker, with replication factor 1. */
  public static void createTopics(Topics topics, int partitions) {
    TopicSetup.ensureTopics(ClientSettings.of(bootstrapServers()), topics, partitions, (short) 1);
  }

  /** Starts the broker when first read (class initialisation is lazy and thread-safe). */
  private static final class Holder {
    static final EmbeddedBroker BROKER = start();

    private static EmbeddedBroker start() {
      try {
        Path dataDir = Files.createTempDirectory("lmp-test-broker-");
        EmbeddedBroker broker = EmbeddedBroker.start(dataDir, 0);
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      broker.close();
                      deleteRecursively(dataDir);
                    },
                    "test-broker-shutdown"));
        return broker;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the test broker's data directory", e);
      }
    }

    private static void deleteRecursively(Path dir) {
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      } catch (IOException e) {
        // Best effort: the directory is in the temporary folder anyway.
      }
    }
  }
}
