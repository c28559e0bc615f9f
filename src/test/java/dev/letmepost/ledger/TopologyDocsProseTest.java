package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.Topics;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The prose file's format: {@code src/test/resources/topology-docs/prose.md}. */
class TopologyDocsProseTest {
  private static final Map<String, String> VALUES = Map.of("maxWaiters", "16", "topic", "lmp.x");

  @Test
  void entriesAreJoinedAndPlaceholdersFilled() {
    TopologyDocs.Prose prose =
        TopologyDocs.Prose.parse(
            """
            # Preamble, ignored: ${notAPlaceholderHere}

            ## node decide-request

            Waits until ${maxWaiters}
            wait.

            ## store replay-records

            - type: window
            - contents: fingerprint →
              record in `${topic}`
            - retention: 32 h
            - changelog: none
            """,
            VALUES);

    assertThat(prose.nodes()).containsExactly(Map.entry("decide-request", "Waits until 16 wait."));
    assertThat(prose.stores())
        .containsExactly(
            Map.entry(
                "replay-records",
                new TopologyDocs.StoreProse(
                    "window", "fingerprint → record in `lmp.x`", "32 h", "none")));
  }

  @Test
  void anUnknownPlaceholderFailsNamingItsLine() {
    assertThatThrownBy(
            () -> TopologyDocs.Prose.parse("## node a\n\nWaits ${maxWaiterz}.\n", VALUES))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("prose.md:3: unknown placeholder ${maxWaiterz}");
  }

  @Test
  void aStoreWithoutAllFieldsOrARepeatedEntryFails() {
    assertThatThrownBy(() -> TopologyDocs.Prose.parse("## store s\n\n- type: window\n", VALUES))
        .hasMessageContaining("prose.md:1: store s lacks contents, retention, changelog");
    assertThatThrownBy(() -> TopologyDocs.Prose.parse("## node a\nx\n## node a\ny\n", VALUES))
        .hasMessageContaining("prose.md:3: node a has a second entry");
  }

  @Test
  void everyPlaceholderTheCommittedProseUsesIsKnown() {
    LedgerConfig config = LedgerConfig.defaults(Topics.defaults());
    TopologyDocs.Prose prose = TopologyDocs.prose(config);

    assertThat(prose.nodes()).containsKey("decide-request");
    assertThat(prose.nodes().get("decide-request")).contains("once 16 wait").doesNotContain("${");
    assertThat(prose.stores()).containsKey(LedgerTopology.REPLAY_STORE);
  }
}
