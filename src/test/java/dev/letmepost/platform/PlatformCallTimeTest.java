package dev.letmepost.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.publish.Connector;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.publish.PublisherConfig;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Ties each connector's real timeouts to the longest call time {@link Platform} declares, which the
 * ledger's outcome grace is checked against: a connector that makes more requests per call, or a
 * publisher default that makes a request longer, fails here instead of turning outcomes unknown.
 */
class PlatformCallTimeTest {
  private static final Topics TOPICS = new Topics("t.");

  @Test
  void everyConnectorsCallFitsItsPlatformsDeclaredLongestCall() {
    for (Platform p : Platform.values()) {
      PublisherConfig config = PublisherConfig.defaults(TOPICS, p, "i");
      PlatformHttp http =
          PlatformHttp.create(config.connectTimeout(), config.requestTimeout(), Clock.systemUTC());
      for (Connector connector :
          new Connector[] {
            Connectors.forPlatform(p, http, null),
            Connectors.forPlatform(p, http, URI.create("http://127.0.0.1:8090"))
          }) {
        Duration callTimeout =
            config
                .connectTimeout()
                .plus(config.requestTimeout())
                .multipliedBy(connector.requestsPerCall());
        assertThat(connector.requestsPerCall())
            .as("%s requests per call of %s", p.wireName(), connector.getClass().getSimpleName())
            .isLessThanOrEqualTo(p.maxRequestsPerCall());
        assertThat(callTimeout).as(p.wireName()).isLessThanOrEqualTo(p.longestCallTime());
      }
      assertThat(http.deadline())
          .as("each request's whole-call deadline")
          .isLessThanOrEqualTo(Platform.MAX_REQUEST_TIME);
    }
  }

  /** The figures the ledger's default grace comes from, as the issue measured them. */
  @Test
  void blueskyAndThreadsAreTheLongestCalls() {
    assertThat(Platform.BLUESKY.longestCallTime()).isEqualTo(Duration.ofSeconds(100));
    assertThat(Platform.THREADS.longestCallTime()).isEqualTo(Duration.ofSeconds(75));
    assertThat(Platform.slowest()).isEqualTo(Platform.BLUESKY);
  }
}
