package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.ClientSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Parsing of {@code --kafka-config} and {@code --kafka-property} on every Kafka-using command. */
class KafkaClientOptionsTest {
  @Command(name = "client")
  static final class Client implements Runnable {
    @Mixin KafkaOptions kafka;

    @Override
    public void run() {}
  }

  private static Path sasl(Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(
        file,
        "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nssl.endpoint.identification.algorithm=https\n",
        StandardCharsets.UTF_8);
    return file;
  }

  @Test
  void theFileAndThePropertiesReachTheSettingsThePropertiesWinning(@TempDir Path dir)
      throws Exception {
    Client c = new Client();
    new CommandLine(c)
        .parseArgs(
            "--bootstrap-servers",
            "k1:9093",
            "--kafka-config",
            sasl(dir).toString(),
            "--kafka-property",
            "sasl.mechanism=SCRAM-SHA-256",
            "--kafka-property",
            "client.dns.lookup=use_all_dns_ips");
    ClientSettings settings = c.kafka.settings();
    assertThat(settings.bootstrapServers()).isEqualTo("k1:9093");
    assertThat(settings.properties())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-256",
                "ssl.endpoint.identification.algorithm", "https",
                "client.dns.lookup", "use_all_dns_ips"));
  }

  @Test
  void noOptionMeansBootstrapServersAlone() {
    Client c = new Client();
    new CommandLine(c).parseArgs("--bootstrap-servers", "k1:9092");
    assertThat(c.kafka.settings().config()).isEqualTo(Map.of("bootstrap.servers", "k1:9092"));
  }

  @Test
  void aRefusedPropertyFailsTheCommandNamingTheKey() {
    StringWriter err = new StringWriter();
    int code =
        Lmp.commandLine()
            .setErr(new PrintWriter(err))
            .execute(
                "post",
                "--bootstrap-servers",
                "127.0.0.1:1",
                "--kafka-property",
                "isolation.level=read_uncommitted",
                "--principal",
                "key_demo",
                "--target",
                "acc_x",
                "--text",
                "hi");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("isolation.level").contains("cannot be given");
  }

  @Test
  void aRefusedKeyInTheFileIsNamed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.properties");
    Files.writeString(file, "group.id=mine\n", StandardCharsets.UTF_8);
    Client c = new Client();
    new CommandLine(c).parseArgs("--kafka-config", file.toString());
    assertThatThrownBy(() -> c.kafka.settings()).hasMessageContaining("group.id");
  }

  @Test
  void serveGatewayLedgerAndBenchTakeTheOptions(@TempDir Path dir) throws Exception {
    String file = sasl(dir).toString();
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs("--kafka-config", file);
    assertThat(serve.kafkaClient.properties()).containsEntry("security.protocol", "SASL_SSL");
    GatewayCommand gateway = new GatewayCommand();
    new CommandLine(gateway)
        .parseArgs("--bootstrap-servers", "k1:9093", "--kafka-property", "security.protocol=SSL");
    assertThat(gateway.cluster.client.properties()).containsEntry("security.protocol", "SSL");
    LedgerCommand ledger = new LedgerCommand();
    new CommandLine(ledger).parseArgs("--bootstrap-servers", "k1:9093", "--kafka-config", file);
    assertThat(ledger.cluster.client.settings("k1:9093").config())
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    BenchCommand bench = new BenchCommand();
    new CommandLine(bench).parseArgs("--kafka-property", "security.protocol=SSL");
    assertThat(bench.kafkaClient.properties()).containsEntry("security.protocol", "SSL");
  }

  @Test
  void theCliClientsCarryTheSettings() {
    ClientSettings client =
        ClientSettings.of("k1:9093", Map.of("security.protocol", "SSL", "ssl.key.password", "pw"));
    assertThat(PostClient.producerConfig(client))
        .containsEntry("security.protocol", "SSL")
        .containsEntry("ssl.key.password", "pw")
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("enable.idempotence", true);
    assertThat(ConsumerLag.adminConfig(client))
        .containsEntry("security.protocol", "SSL")
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("request.timeout.ms", 5_000);
  }
}
