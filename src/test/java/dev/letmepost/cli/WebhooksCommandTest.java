package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.net.AddressGuard;
import dev.letmepost.webhook.SigningKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code lmp webhooks} and the webhook options of {@code serve}: parsing; nothing reaches Kafka.
 */
class WebhooksCommandTest {
  @Test
  void webhooksHasAddListRemoveAndDispatch() {
    assertThat(Lmp.commandLine().getSubcommands().get("webhooks").getSubcommands().keySet())
        .containsExactly("add", "list", "remove", "dispatch");
  }

  @Test
  void addWithoutASigningKeyIsAnErrorNamingTheFlagAndTheEnvironmentVariable() {
    StringWriter err = new StringWriter();
    int code =
        Lmp.commandLine()
            .setErr(new PrintWriter(err))
            .execute(
                "webhooks",
                "add",
                "--principal",
                "key_alice",
                "--url",
                "https://h.example/x",
                "--event",
                "batch.completed");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo(
            "lmp add: no webhook signing key: give --webhook-signing-key-file PATH (or set"
                + " LMP_WEBHOOK_SIGNING_KEY_FILE), or --demo to use <data-dir>/webhooks/signing-key"
                + System.lineSeparator());
  }

  @Test
  void serveTakesTheKeyFileTheFlagsAndInDemoModeTheDataDirectorysKey(@TempDir Path dir)
      throws Exception {
    Path keyFile = dir.resolve("key");
    Files.writeString(keyFile, "0123456789abcdef0123456789abcdef\n");
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve)
        .parseArgs(
            "--webhook-signing-key-file",
            keyFile.toString(),
            "--webhook-allow-private-addresses",
            "--webhook-max-failures",
            "5");
    WebhooksCommand.Options o = serve.webhookOptions;
    assertThat(o.maxFailures).isEqualTo(5);
    assertThat(o.policy(false)).isEqualTo(new AddressGuard.Policy(false, true));
    assertThat(o.key(false, dir).secretFor("we_1"))
        .isEqualTo(
            SigningKey.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII))
                .secretFor("we_1"));

    ServeCommand plain = new ServeCommand();
    new CommandLine(plain).parseArgs();
    assertThat(plain.webhookOptions.maxFailures).isEqualTo(20);
    assertThat(plain.webhookOptions.key(false, dir)).as("no key outside demo mode").isNull();
    assertThat(plain.webhookOptions.key(true, dir)).isNotNull();
    assertThat(dir.resolve("webhooks/signing-key")).exists();
  }

  @Test
  void dispatchServesHealthAndMetricsLikeTheOtherRoles() {
    WebhooksCommand.Dispatch dispatch = new WebhooksCommand.Dispatch();
    new CommandLine(dispatch).parseArgs("--bootstrap-servers", "b:9092");
    assertThat(dispatch.health.host).isEqualTo("127.0.0.1");
    assertThat(dispatch.health.port).isEqualTo(8083);
    new CommandLine(dispatch)
        .parseArgs(
            "--bootstrap-servers", "b:9092", "--health-host", "0.0.0.0", "--health-port", "0");
    assertThat(dispatch.health.host).isEqualTo("0.0.0.0");
    assertThat(dispatch.health.port).isZero();
  }
}
