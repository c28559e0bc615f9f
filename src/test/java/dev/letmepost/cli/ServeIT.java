package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.testing.ChildLmp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lmp serve} in a child JVM, as it is run: it starts every part (embedded broker, ledger,
 * publishers, sandbox, gateway, webhook dispatcher) and SIGTERM stops them all through {@link
 * RunningRole}, the last of them (the broker) cleanly.
 */
class ServeIT {
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void serveInDemoModeStartsEveryPartAndSigtermStopsThemAll(@TempDir Path data) throws Exception {
    try (ChildLmp serve =
        ChildLmp.serve(
            List.of(
                "--kafka-port",
                "0",
                "--sandbox-port",
                "0",
                "--http-port",
                "0",
                "--instance-id",
                "serve-it",
                "--data-dir",
                data.toString()))) {
      serve.awaitRunning(Duration.ofMinutes(3));
      URI readyz =
          URI.create("http://127.0.0.1:" + serve.httpPort(Duration.ofSeconds(30)) + "/readyz");
      HttpClient http = HttpClient.newHttpClient();
      await()
          .atMost(Duration.ofMinutes(1))
          .until(
              () ->
                  http.send(
                              HttpRequest.newBuilder(readyz).build(),
                              HttpResponse.BodyHandlers.discarding())
                          .statusCode()
                      == 200);
      assertThat(serve.output()).doesNotContain("webhooks off");

      OptionalInt exit = serve.terminate(Duration.ofSeconds(150));

      assertThat(exit).as(serve.output()).hasValue(143);
      assertThat(serve.output())
          .doesNotContain("error while stopping")
          .doesNotContain("still stopping after");
      try (Stream<Path> files = Files.walk(data.resolve("kafka"))) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .as("the broker, stopped last, shut down cleanly")
            .contains(".kafka_cleanshutdown");
      }
    }
  }
}
