package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyDescription.Node;
import org.apache.kafka.streams.kstream.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyDocsTest {
  /** The committed docs, relative to the Maven working directory (the project root). */
  private static final Path COMMITTED = Path.of(TopologyDocs.DEFAULT_DIRECTORY);

  private static final LedgerConfig CONFIG = LedgerConfig.defaults(Topics.defaults());

  @TempDir Path dir;

  @Test
  void committedDocsMatchWhatTheGeneratorWrites() throws IOException {
    List<Path> written = TopologyDocs.write(dir);

    assertThat(written)
        .extracting(p -> p.getFileName().toString())
        .containsExactlyElementsOf(TopologyDocs.FILES);
    List<String> stale = new ArrayList<>();
    for (String file : TopologyDocs.FILES) {
      Path committed = COMMITTED.resolve(file);
      String generated = Files.readString(dir.resolve(file), StandardCharsets.UTF_8);
      if (!Files.exists(committed)) {
        stale.add(file + " is missing");
      } else {
        String expected = Files.readString(committed, StandardCharsets.UTF_8);
        if (!expected.equals(generated)) {
          stale.add(file + " differs " + firstDifference(expected, generated));
        }
      }
    }
    if (!stale.isEmpty()) {
      fail(
          "topology-docs/ is stale: run "
              + TopologyDocs.REGENERATE_COMMAND
              + " (from the project root): "
              + String.join("; ", stale));
    }
  }

  @Test
  void topologyTextIsTheDescriptionVerbatim() {
    assertThat(TopologyDocs.render(CONFIG).get(TopologyDocs.DESCRIBE_FILE))
        .isEqualTo(LedgerTopology.topology(CONFIG).describe().toString());
  }

  @Test
  void twoBuildsOfTheTopologyRenderByteIdentically() {
    assertThat(TopologyDocs.render(CONFIG)).isEqualTo(TopologyDocs.render(CONFIG));
  }

  @Test
  void diagramDrawsEveryTopicAsATopicAndEveryStoreAsACylinder() {
    TopologyDescription description = LedgerTopology.topology(CONFIG).describe();
    TreeSet<String> topics = new TreeSet<>();
    TreeSet<String> stores = new TreeSet<>();
    List<Node> nodes = new ArrayList<>();
    description.subtopologies().forEach(s -> nodes.addAll(s.nodes()));
    description
        .globalStores()
        .forEach(
            g -> {
              nodes.add(g.source());
              nodes.add(g.processor());
            });
    for (Node node : nodes) {
      if (node instanceof TopologyDescription.Source source) {
        topics.addAll(source.topicSet());
      } else if (node instanceof TopologyDescription.Sink sink) {
        topics.add(
            sink.topic() != null ? sink.topic() : Topics.defaults().publishTopicName("<platform>"));
      } else if (node instanceof TopologyDescription.Processor processor) {
        stores.addAll(processor.stores());
      }
    }

    String mermaid = TopologyDocs.render(CONFIG).get(TopologyDocs.MERMAID_FILE);
    String rendered = mermaid.replace("#lt;", "<").replace("#gt;", ">");

    assertThat(topics)
        .contains(
            "lmp.post-commands",
            "lmp.dead-letters",
            "lmp.target-outcomes",
            "lmp.post-results",
            "lmp.accounts",
            "lmp.publish.<platform>",
            "by-fingerprint-repartition");
    assertThat(stores)
        .containsExactly(
            LedgerTopology.ACCOUNTS_STORE,
            LedgerTopology.BATCH_INDEX,
            LedgerTopology.TIMER_STORE,
            LedgerTopology.REPLAY_STORE,
            LedgerTopology.REQUEST_INDEX);
    assertThat(mermaid).startsWith("flowchart LR\n");
    for (String topic : topics) {
      assertThat(rendered)
          .as("topic %s drawn as a stadium", topic)
          .contains("([\"" + topic + "\"]):::topic");
    }
    for (String store : stores) {
      assertThat(rendered)
          .as("store %s drawn as a cylinder", store)
          .contains("[(\"" + store + "\")]:::store");
    }
    assertThat(mermaid)
        .as("no raw angle brackets: Mermaid's HTML labels would drop them")
        .doesNotContain("<");
  }

  @Test
  void readmeStartsWithTheRegenerateCommandAndEmbedsTheDiagram() {
    Map<String, String> files = TopologyDocs.render(CONFIG);
    String readme = files.get(TopologyDocs.README_FILE);

    assertThat(readme.lines().limit(8).toList()).contains(TopologyDocs.REGENERATE_COMMAND);
    assertThat(readme).contains("```mermaid\n" + files.get(TopologyDocs.MERMAID_FILE) + "```\n");
    assertThat(readme)
        .contains(
            "| `decide-request` | processor | `batch-index`, `open-batch-timers`, `replay-records`,"
                + " `request-index` | `DecideRequest`");
    assertThat(readme).contains("`ExpireOverdue` (every 1 s)");
    assertThat(readme)
        .contains(
            "| `replay-records` | persistent window store, cached |", "| 32 h (replay TTL 24 h");
  }

  @Test
  void nodeWithoutProseFailsGeneration() {
    Map<String, String> prose = new HashMap<>(TopologyDocs.nodeProse(CONFIG));
    prose.remove("decide-request");

    assertThatThrownBy(() -> render(LedgerTopology.topology(CONFIG), prose))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nodes without an entry in TopologyDocs.nodeProse: [decide-request]");
  }

  @Test
  void proseForANodeTheTopologyLostFailsGeneration() {
    Map<String, String> prose = new HashMap<>(TopologyDocs.nodeProse(CONFIG));
    prose.put("ghost-node", "Decides nothing any more.");

    assertThatThrownBy(() -> render(LedgerTopology.topology(CONFIG), prose))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(
            "TopologyDocs.nodeProse names nodes the topology no longer has: [ghost-node]");
  }

  @Test
  void storeWithoutProseAndProseForAVanishedStoreFailGeneration() {
    Map<String, TopologyDocs.StoreProse> stores = new HashMap<>(TopologyDocs.storeProse(CONFIG));
    TopologyDocs.StoreProse timers = stores.remove(LedgerTopology.TIMER_STORE);
    stores.put("old-timers", timers);

    assertThatThrownBy(
            () ->
                TopologyDocs.render(
                    LedgerTopology.topology(CONFIG),
                    CONFIG,
                    TopologyDocs.nodeProse(CONFIG),
                    stores))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(
            "stores without an entry in TopologyDocs.storeProse: [open-batch-timers]")
        .hasMessageContaining(
            "TopologyDocs.storeProse names stores the topology no longer has: [old-timers]");
  }

  @Test
  void processorAddedToTheTopologyWithoutProseFailsGeneration() {
    StreamsBuilder builder = new StreamsBuilder();
    LedgerTopology.build(builder, CONFIG);
    builder.stream("lmp.audit").peek((k, v) -> {}, Named.as("audit-peek"));
    builder.stream("lmp.more").peek((k, v) -> {});

    assertThatThrownBy(() -> render(builder.build(), TopologyDocs.nodeProse(CONFIG)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("audit-peek")
        .hasMessageContaining("KSTREAM-SOURCE-")
        .hasMessageContaining("nodes with generated names");
  }

  private static Map<String, String> render(Topology topology, Map<String, String> prose) {
    return TopologyDocs.render(topology, CONFIG, prose, TopologyDocs.storeProse(CONFIG));
  }

  private static String firstDifference(String expected, String generated) {
    String[] a = expected.split("\n", -1);
    String[] b = generated.split("\n", -1);
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      String committedLine = i < a.length ? a[i] : "<end of file>";
      String generatedLine = i < b.length ? b[i] : "<end of file>";
      if (!committedLine.equals(generatedLine)) {
        return "at line "
            + (i + 1)
            + ": committed '"
            + committedLine
            + "', generated '"
            + generatedLine
            + "'";
      }
    }
    return "(line endings)";
  }
}
