package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.command.CommandReader;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** The command record the client writes is the command the ledger reads. */
class CommandRecordTest {
  private static final String TOPIC = "lmp.post-commands";
  private static final Post POST = Post.builder().account("acc_1").text("shipped").build();

  @Test
  void theLedgerReadsEveryPartOfTheCommand() {
    Command c = new Command("key_alice", "K-1", "req-1", Request.post(POST));
    ProducerRecord<byte[], byte[]> r = c.toRecord(TOPIC);
    dev.letmepost.command.Command read = CommandReader.read(r.headers(), r.value(), TOPIC + "/0/1");
    assertThat(read.principal()).isEqualTo("key_alice");
    assertThat(read.idempotencyKey()).isEqualTo("K-1");
    assertThat(read.requestId()).isEqualTo("req-1");
    assertThat(read.method()).isEqualTo("POST");
    assertThat(read.path()).isEqualTo("/v1/posts");
    assertThat(read.body().toByteArray()).isEqualTo(POST.toJson());
    assertThat(read.fingerprint()).isEqualTo(c.fingerprint());
  }

  @Test
  void aKeyedCommandIsKeyedByItsFingerprintAsTheGatewayKeysIt() {
    Command c = new Command("key_alice", "K-1", "req-1", Request.post(POST));
    assertThat(c.recordKey())
        .isEqualTo(c.fingerprint())
        .isEqualTo(Fingerprint.of("key_alice", "POST", "/v1/posts", "K-1"));
    assertThat(new String(c.toRecord(TOPIC).key(), StandardCharsets.UTF_8))
        .isEqualTo(c.fingerprint());
    assertThat(c.toRecord(TOPIC).partition()).as("the default partitioner decides").isNull();

    Command retry = new Command("key_alice", "K-1", "req-2", Request.post(POST));
    assertThat(retry.recordKey())
        .as("a retry lands where its first try did")
        .isEqualTo(c.recordKey());
    Command cancel = new Command("key_alice", "K-1", "req-3", Request.cancel("batch_1"));
    assertThat(cancel.recordKey()).as("method and path are part of it").isNotEqualTo(c.recordKey());
  }

  @Test
  void aKeylessCommandIsKeyedByItsRequestIdAndCarriesNoKeyHeader() {
    Command c = new Command("key_alice", null, "req-9", Request.post(POST));
    ProducerRecord<byte[], byte[]> r = c.toRecord(TOPIC);
    assertThat(c.fingerprint()).isNull();
    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("req-9");
    assertThat(r.headers().lastHeader(Headers.IDEMPOTENCY_KEY)).isNull();
    dev.letmepost.command.Command read = CommandReader.read(r.headers(), r.value(), TOPIC + "/4/2");
    assertThat(read.idempotencyKey()).isNull();
    assertThat(read.fingerprint())
        .isEqualTo(Fingerprint.ofKeyless("key_alice", "POST", "/v1/posts", TOPIC + "/4/2"));
  }

  @Test
  void theRecordCarriesEachContractHeaderOnce() {
    ProducerRecord<byte[], byte[]> r =
        new Command("key_alice", "K-1", "req-1", Request.retry("batch_1")).toRecord(TOPIC);
    assertThat(r.topic()).isEqualTo(TOPIC);
    assertThat(r.headers().toArray())
        .extracting(Header::key)
        .containsExactly(
            Headers.PRINCIPAL,
            Headers.REQUEST_ID,
            Headers.METHOD,
            Headers.PATH,
            Headers.IDEMPOTENCY_KEY);
    assertThat(new String(r.headers().lastHeader(Headers.PATH).value(), StandardCharsets.UTF_8))
        .isEqualTo("/v1/batches/batch_1/retry");
    assertThat(r.value()).isEmpty();
  }

  @Test
  void anUnaddressableCommandIsRefusedBeforeItIsSent() {
    assertThatThrownBy(() -> new Command(" ", "K", "req", Request.post(POST)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("principal");
    assertThatThrownBy(() -> new Command("p", "K", "", Request.post(POST)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("requestId");
  }

  @Test
  void newRequestIdsAreTheGatewaysShape() {
    Command c = Command.of("key_alice", null, Request.post(POST));
    assertThat(c.requestId()).matches("req_[0-9a-f-]{36}");
    assertThat(Command.of("key_alice", null, Request.post(POST)).requestId())
        .isNotEqualTo(c.requestId());
  }
}
