package dev.letmepost.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.Json;
import dev.letmepost.wire.PostEvent;
import org.junit.jupiter.api.Test;

/** The delivery body: the event's id, type, time and data, exactly; no principal, no batch id. */
class WebhookBodyTest {
  @Test
  void bodyIsIdTypeCreatedAtAndDataInThatOrderWithoutPrincipalOrBatchId() throws Exception {
    PostEvent e =
        new PostEvent(
            "evt_1",
            PostEvent.TARGET_FAILED,
            "2026-12-01T12:00:00.000Z",
            "key_alice",
            "batch_1",
            Json.MAPPER.readTree(
                "{\"batchId\":\"batch_1\",\"targetIndex\":0,\"target\":{\"status\":\"failed\"}}"));
    assertThat(WebhookBody.of(e))
        .isEqualTo(
            "{\"id\":\"evt_1\",\"type\":\"target.failed\",\"createdAt\":\"2026-12-01T12:00:00.000Z\","
                + "\"data\":{\"batchId\":\"batch_1\",\"targetIndex\":0,\"target\":{\"status\":\"failed\"}}}");
  }
}
