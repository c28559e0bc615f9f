package dev.letmepost.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

class BaselinesTest {
  private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");
  private final Topics topics = new Topics("b.");

  private static Properties props() {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "baselines-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    return p;
  }

  @Test
  void passThroughWritesEveryCommandUnchanged() {
    try (TopologyTestDriver driver =
        new TopologyTestDriver(Baselines.passthrough(topics), props(), T0)) {
      TestInputTopic<byte[], byte[]> in = input(driver);
      in.pipeInput(utf8("k1"), utf8("body-1"), T0);
      in.pipeInput(utf8("k1"), utf8("body-1"), T0);

      TestOutputTopic<byte[], byte[]> out = output(driver, Baselines.passthroughOutput(topics));
      assertThat(out.readValuesToList())
          .extracting(BaselinesTest::text)
          .containsExactly("body-1", "body-1");
    }
  }

  @Test
  void dedupFansTheFirstRecordOfAKeyOutToEveryOutputAndDropsItsDuplicates() {
    try (TopologyTestDriver driver =
        new TopologyTestDriver(Baselines.dedup(topics, 3, Duration.ofHours(24)), props(), T0)) {
      TestInputTopic<byte[], byte[]> in = input(driver);
      in.pipeInput(utf8("k1"), utf8("first"), T0);
      in.pipeInput(utf8("k1"), utf8("again"), T0.plusSeconds(60));
      in.pipeInput(utf8("k2"), utf8("other"), T0.plusSeconds(61));
      // after the window the key is new again
      in.pipeInput(utf8("k1"), utf8("next day"), T0.plus(Duration.ofHours(25)));

      for (String topic : Baselines.dedupOutputs(topics, 3)) {
        assertThat(output(driver, topic).readValuesToList())
            .as(topic)
            .extracting(BaselinesTest::text)
            .containsExactly("first", "other", "next day");
      }
    }
  }

  private TestInputTopic<byte[], byte[]> input(TopologyTestDriver driver) {
    return driver.createInputTopic(
        topics.commands().name(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static TestOutputTopic<byte[], byte[]> output(TopologyTestDriver driver, String topic) {
    return driver.createOutputTopic(
        topic, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
