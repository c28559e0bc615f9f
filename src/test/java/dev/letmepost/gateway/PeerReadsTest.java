package dev.letmepost.gateway;

import static dev.letmepost.gateway.GatewayHttpTest.ALICE_KEY;
import static dev.letmepost.gateway.GatewayHttpTest.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reads forwarded to a peer that misbehaves: each call has a deadline over the whole exchange and a
 * cap on the body it reads.
 */
class PeerReadsTest {
  final HttpClient client = HttpClient.newHttpClient();
  final FakeLedger ledger = new FakeLedger();
  Gateway gateway;
  RawPeer peer;

  @AfterEach
  void tearDown() throws IOException {
    if (gateway != null) {
      gateway.close();
    }
    if (peer != null) {
      peer.close();
    }
  }

  /** A peer that answers every connection with {@code head} and then the given body behaviour. */
  static final class RawPeer implements AutoCloseable {
    final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    final CountDownLatch released = new CountDownLatch(1);
    final AtomicBoolean sawClose = new AtomicBoolean();
    final Thread thread;

    RawPeer(String head, byte[] bodyPart, long repeat) throws IOException {
      thread =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  readHead(s.getInputStream());
                  OutputStream out = s.getOutputStream();
                  out.write(head.getBytes(StandardCharsets.US_ASCII));
                  for (long i = 0; i < repeat; i++) {
                    out.write(bodyPart);
                  }
                  out.flush();
                  // stall: read until the gateway gives up on the exchange and closes it
                  if (s.getInputStream().read() < 0) {
                    sawClose.set(true);
                  }
                } catch (IOException e) {
                  sawClose.set(true); // reset by the gateway, or a write into the closed socket
                } finally {
                  released.countDown();
                }
              },
              "raw-peer");
      thread.setDaemon(true);
      thread.start();
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    static void readHead(InputStream in) throws IOException {
      int matched = 0;
      byte[] end = {'\r', '\n', '\r', '\n'};
      while (matched < 4) {
        int c = in.read();
        if (c < 0) {
          return;
        }
        matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  HttpResponse<String> readThroughGateway(RawPeer p) throws Exception {
    peer = p;
    gateway =
        new Gateway(
                GatewayConfig.defaults().withForwardTimeout(Duration.ofMillis(500)),
                Clock.fixed(T0, ZoneOffset.UTC),
                new GatewayMetrics())
            .start("127.0.0.1", 0);
    gateway.attach(new Gateway.Backend(GatewayHttpTest.registry(), () -> true, ledger, ledger));
    ledger.peers.add(p.uri());
    return client.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port() + "/v1/batches/batch_9"))
            .header("Authorization", "Bearer " + ALICE_KEY)
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The peer call's timeout stopped at the response headers ({@code BodyHandlers.ofByteArray()}): a
   * peer that sent its headers and stalled the body held the read, and its HTTP thread, forever.
   * Now the whole exchange has the forward timeout: the read is 503 (the peer could not be asked)
   * and the stalled exchange is closed.
   */
  @Test
  void peerThatSendsHeadersAndStallsTheBodyIs503WithinTheForwardTimeout() throws Exception {
    HttpResponse<String> r =
        readThroughGateway(
            new RawPeer(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
                "{\"id\":".getBytes(StandardCharsets.US_ASCII),
                1));

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("no complete answer within PT0.5S");
    await().atMost(Duration.ofSeconds(10)).until(() -> peer.released.getCount() == 0);
    assertThat(peer.sawClose).isTrue();
  }

  /** A peer that streams more than the cap is cut off: 503, not the gateway's heap. */
  @Test
  void peerBodyOverTheCapIs503AndIsNotReadToItsEnd() throws Exception {
    byte[] chunk = new byte[64 * 1024];
    java.util.Arrays.fill(chunk, (byte) 'x');
    HttpResponse<String> r =
        readThroughGateway(
            new RawPeer(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
                chunk,
                PeerReads.MAX_BODY_BYTES / chunk.length + 2));

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body())
        .contains("larger than the limit of " + PeerReads.MAX_BODY_BYTES + " bytes");
  }

  /** A declared length over the cap is refused before any of the body is read. */
  @Test
  void peerDeclaringABodyOverTheCapIs503() throws Exception {
    HttpResponse<String> r =
        readThroughGateway(
            new RawPeer(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n",
                new byte[0],
                0));

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("a body of 50000000 bytes was declared");
  }
}
