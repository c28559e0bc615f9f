package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Limits;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Parsing of {@code lmp gateway}, {@code lmp keys} and {@code serve}'s HTTP options. */
class GatewayCommandLineTest {
  @Test
  void serveListensOnLoopback8080AndWaitsThirtySecondsByDefault() {
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs();
    assertThat(serve.http.host).isEqualTo("127.0.0.1");
    assertThat(serve.http.port).isEqualTo(8080);
    assertThat(serve.http.answerTimeout).hasSeconds(30);
    assertThat(serve.http.maxBodyBytes).isEqualTo(Limits.MAX_BODY_BYTES);
    assertThat(serve.http.options().config().answerTimeout()).hasSeconds(30);
  }

  @Test
  void gatewayTakesHttpAndLedgerOptions() {
    GatewayCommand gateway = new GatewayCommand();
    new CommandLine(gateway)
        .parseArgs(
            "--bootstrap-servers",
            "k1:9092",
            "--http-host",
            "0.0.0.0",
            "--http-port",
            "9000",
            "--advertised-host",
            "gw-1.internal",
            "--answer-timeout",
            "PT5S",
            "--max-body-bytes",
            "4096");
    var options = gateway.http.options();
    assertThat(options.host()).isEqualTo("0.0.0.0");
    assertThat(options.port()).isEqualTo(9000);
    assertThat(options.advertisedHost()).isEqualTo("gw-1.internal");
    assertThat(options.config().answerTimeout()).hasSeconds(5);
    assertThat(options.config().maxBodyBytes()).isEqualTo(4096);
    assertThat(gateway.cluster.bootstrapServers).isEqualTo("k1:9092");
  }

  /**
   * The default was 1,048,576, above what the ledger decides: such bodies were produced, refused by
   * Kafka and answered 503 forever. A value above {@link Limits#MAX_BODY_BYTES} is now refused at
   * start-up, naming the value and the ceiling.
   */
  @Test
  void maxBodyBytesAboveTheCeilingIsRefusedAtStartUp() {
    for (String command : new String[] {"gateway", "serve"}) {
      StringWriter err = new StringWriter();
      int code =
          Lmp.commandLine()
              .setErr(new PrintWriter(err))
              .execute(command, "--bootstrap-servers", "k1:9092", "--max-body-bytes", "1048576");
      assertThat(code).as(command).isEqualTo(2);
      assertThat(err.toString())
          .contains("--max-body-bytes", "1048576", Integer.toString(Limits.MAX_BODY_BYTES));
    }
  }

  /** The waiter bound per principal reaches the gateway's config; a negative one is refused. */
  @Test
  void waitersPerPrincipalIsConfigurableAndANegativeOneIsRefused() {
    GatewayCommand gateway = new GatewayCommand();
    new CommandLine(gateway)
        .parseArgs("--bootstrap-servers", "k1:9092", "--waiters-per-principal", "8");
    assertThat(gateway.http.options().config().maxWaitersPerPrincipal()).isEqualTo(8);
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs();
    assertThat(serve.http.options().config().maxWaitersPerPrincipal()).isEqualTo(256);

    StringWriter err = new StringWriter();
    int code =
        Lmp.commandLine()
            .setErr(new PrintWriter(err))
            .execute("gateway", "--bootstrap-servers", "k1:9092", "--waiters-per-principal", "-1");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "Invalid value for option '--waiters-per-principal': must not be negative, got -1");
  }

  @Test
  void maxBodyBytesAtTheCeilingIsAccepted() {
    GatewayCommand gateway = new GatewayCommand();
    new CommandLine(gateway)
        .parseArgs(
            "--bootstrap-servers", "k1:9092", "--max-body-bytes", "" + Limits.MAX_BODY_BYTES);
    assertThat(gateway.http.options().config().maxBodyBytes()).isEqualTo(Limits.MAX_BODY_BYTES);
  }

  @Test
  void keysCreateWithoutPrincipalIsAUsageErrorNamingTheOption() {
    StringWriter err = new StringWriter();
    int code = Lmp.commandLine().setErr(new PrintWriter(err)).execute("keys", "create");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--principal");
  }

  @Test
  void keysRevokeNeedsTheKeyOrItsHash() {
    StringWriter err = new StringWriter();
    int code = Lmp.commandLine().setErr(new PrintWriter(err)).execute("keys", "revoke");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("KEY_OR_SHA256");
  }
}
