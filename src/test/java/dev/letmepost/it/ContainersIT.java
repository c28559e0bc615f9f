package dev.letmepost.it;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The seed flow against the official {@code apache/kafka} image (one broker, Testcontainers): the
 * product built here, unchanged, on the broker operators run. Skipped where no Docker engine runs;
 * without Docker the same flow runs on the embedded broker ({@code GatewayIT}) and, with every role
 * as its own process on three brokers, in {@link RolesIT}.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainersIT {
  /** The image of the Kafka version the product is built against (pom.xml kafka.version). */
  static final String KAFKA_IMAGE = "apache/kafka:4.4.0";

  @Container static final KafkaContainer KAFKA = new KafkaContainer(KAFKA_IMAGE);

  @Test
  @Timeout(300)
  void theReadmesSeedFlowRunsAgainstTheApacheKafkaImage(@TempDir Path dir) throws Exception {
    try (SeedFlow flow = SeedFlow.start(KAFKA.getBootstrapServers(), "tc.", 1, dir)) {
      flow.assertSeedFlow("01HY6X4AWBJM2K9F2PTQMRD9JQ");
    }
  }
}
