package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.platform.sandbox.SandboxServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lmp sandbox}'s options, their checks, and the server it opens. */
class SandboxCommandTest {
  @TempDir Path dir;

  @Test
  void defaultsAreLocalhost8090WithoutFaults() {
    SandboxCommand sandbox = new SandboxCommand();
    new CommandLine(sandbox).parseArgs();

    assertThat(sandbox.host).isEqualTo("127.0.0.1");
    assertThat(sandbox.port).isEqualTo(8090);
    assertThat(sandbox.faults()).isEqualTo(Faults.NONE);
  }

  @Test
  void optionsBecomeTheFaults() {
    SandboxCommand sandbox = new SandboxCommand();
    new CommandLine(sandbox)
        .parseArgs(
            "--latency",
            "250ms",
            "--error-rate",
            "0.1",
            "--rate-limit-rate",
            "0.2",
            "--hangup-rate",
            "0.3",
            "--no-lookup",
            "--seed",
            "7");

    assertThat(sandbox.faults())
        .isEqualTo(new Faults(Duration.ofMillis(250), 0.1, 0.2, 0.3, false, 7));
  }

  @Test
  void latencyTakesShortFormsAndIso8601() {
    assertThat(SandboxCommand.duration("--latency", "2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(SandboxCommand.duration("--latency", "1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(SandboxCommand.duration("--latency", "PT0.5S")).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void aBadDurationNamesTheOptionItCameFrom() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> SandboxCommand.duration("--sandbox-latency", "soon"))
        .hasMessage("--sandbox-latency must be a duration like 250ms, 2s or PT1M, got 'soon'");
  }

  @Test
  void badValuesAreOneLineErrorsNamingTheOptionAndValue() {
    assertThat(fails("--error-rate", "1.5"))
        .isEqualTo("lmp sandbox: --error-rate must be between 0 and 1, got 1.5");
    assertThat(fails("--hangup-rate", "-1"))
        .isEqualTo("lmp sandbox: --hangup-rate must be between 0 and 1, got -1.0");
    assertThat(fails("--error-rate", "0.5", "--rate-limit-rate", "0.6"))
        .isEqualTo(
            "lmp sandbox: --error-rate + --rate-limit-rate + --hangup-rate must be at most 1,"
                + " got 0.5 + 0.6 + 0.0");
    assertThat(fails("--latency", "soon"))
        .isEqualTo("lmp sandbox: --latency must be a duration like 250ms, 2s or PT1M, got 'soon'");
    assertThat(fails("--latency", "PT-1S"))
        .isEqualTo("lmp sandbox: --latency must be a duration like 250ms, 2s or PT1M, got 'PT-1S'");
    assertThat(fails("--port", "70000"))
        .isEqualTo("lmp sandbox: --port must be between 0 and 65535, got 70000");
  }

  @Test
  void opensTheServerOnTheDataDirectoryAndPrintsWhereItListens() throws Exception {
    SandboxCommand sandbox = new SandboxCommand();
    StringWriter out = new StringWriter();
    new CommandLine(sandbox)
        .setOut(new PrintWriter(out))
        .parseArgs("--data-dir", dir.toString(), "--port", "0", "--error-rate", "1");

    try (SandboxServer server = sandbox.open()) {
      assertThat(out.toString())
          .isEqualTo(
              "sandbox platform listening on "
                  + server.uri()
                  + " (posts in "
                  + dir.resolve("sandbox").resolve("posts.jsonl")
                  + ")"
                  + System.lineSeparator());
      assertThat(server.uri().toString()).startsWith("http://127.0.0.1:");
      assertThat(server.faults().errorRate()).isEqualTo(1);
      HttpResponse<String> health =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(server.uri().resolve("/healthz")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
    }
    assertThat(dir.resolve("sandbox")).isDirectory();
  }

  /** Runs {@code lmp sandbox args} expecting exit code 1 and answers its one line of error. */
  private String fails(String... args) {
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    String[] full = new String[args.length + 3];
    full[0] = "sandbox";
    full[1] = "--data-dir";
    full[2] = dir.toString();
    System.arraycopy(args, 0, full, 3, args.length);
    int code =
        Lmp.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(out)).execute(full);
    assertThat(code).as(err.toString()).isEqualTo(1);
    assertThat(out.toString()).as("nothing was started").isEmpty();
    assertThat(err.toString()).endsWith(System.lineSeparator());
    String message = err.toString().strip();
    assertThat(message).doesNotContain("\n");
    return message;
  }
}
