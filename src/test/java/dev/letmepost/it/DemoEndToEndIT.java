package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.client.Answer;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo path of {@code lmp serve} on its own embedded KRaft broker: command, sandbox, envelope,
 * replay, conflict; the sandbox's posts.jsonl is the ground truth.
 */
class DemoEndToEndIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void firstCallPublishesEachTargetOnceRetryReplaysAndChangedBodyConflicts(@TempDir Path data)
      throws Exception {
    Topics topics = Topics.defaults();
    LedgerConfig ledger = LedgerConfig.defaults(topics).with(c -> c.partitions = 3);
    try (Services services =
        Services.start(Services.Options.allInOne(null, data, true, ledger, Map.of()))) {
      assertThat(services.awaitRunning(WAIT)).as("ledger RUNNING").isTrue();
      byte[] body =
          ("{\"targets\":[{\"accountId\":\"acc_demo_twitter\"},{\"accountId\":\"acc_demo_linkedin\"},"
                  + "{\"accountId\":\"acc_demo_bluesky\"}],\"text\":\"shipped\"}")
              .getBytes(StandardCharsets.UTF_8);
      try (PostClient client = new PostClient(services.client(), topics)) {
        Answer first =
            client
                .post("key_demo", "01HY6X4AWBJM2K9F2PTQMRD9JQ", "req-1", body, WAIT)
                .orElseThrow();
        assertThat(first.status()).isEqualTo(201);
        assertThat(first.replayed()).isFalse();
        JsonNode envelope = Json.MAPPER.readTree(first.body());
        assertThat(envelope.get("status").asText()).isEqualTo("published");
        assertThat(envelope.get("results"))
            .hasSize(3)
            .allSatisfy(r -> assertThat(r.get("status").asText()).isEqualTo("published"));

        Answer retry =
            client
                .post("key_demo", "01HY6X4AWBJM2K9F2PTQMRD9JQ", "req-2", body, WAIT)
                .orElseThrow();
        assertThat(retry.replayed()).isTrue();
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.keyExpires()).isEqualTo(first.keyExpires());

        byte[] changed =
            new String(body, StandardCharsets.UTF_8)
                .replace("shipped", "shipped!")
                .getBytes(StandardCharsets.UTF_8);
        Answer conflict =
            client
                .post("key_demo", "01HY6X4AWBJM2K9F2PTQMRD9JQ", "req-3", changed, WAIT)
                .orElseThrow();
        assertThat(conflict.status()).isEqualTo(422);
        assertThat(conflict.bodyText()).contains("idempotency_conflict");

        var posts = SandboxPlatform.readPosts(data.resolve("sandbox"));
        assertThat(posts)
            .extracting(SandboxPlatform.AcceptedPost::accountId)
            .containsExactlyInAnyOrder("acc_demo_twitter", "acc_demo_linkedin", "acc_demo_bluesky");
        assertThat(posts).allSatisfy(p -> assertThat(p.text()).isEqualTo("shipped"));
      }
    }
  }
}
