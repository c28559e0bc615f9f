package dev.letmepost.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The delivery client's deadline over the whole exchange, against local receivers that stall it in
 * each of its phases. The deadline injected is 500 ms; a receiver that never stops trickling would
 * hold the call forever without it, so each test bounds the call at a few seconds.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WebhookHttpTest {
  static final Duration DEADLINE = Duration.ofMillis(500);
  static final long WITHIN_MS = 3_000;

  final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  /** A receiver that accepts connections and hands each to {@code handler} on its own thread. */
  interface Handler {
    void handle(Socket s) throws IOException, InterruptedException;
  }

  int receiver(Handler handler) throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    open.add(server);
    Thread t =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket s = server.accept();
                  open.add(s);
                  Thread h =
                      new Thread(
                          () -> {
                            try {
                              handler.handle(s);
                            } catch (IOException | InterruptedException e) {
                              // the client hung up
                            }
                          });
                  h.setDaemon(true);
                  h.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
    return server.getLocalPort();
  }

  /** Sends {@code bytes} one byte every 50 ms, forever when {@code repeat} is true. */
  static void trickle(Socket s, byte[] bytes, boolean repeat)
      throws IOException, InterruptedException {
    OutputStream out = s.getOutputStream();
    do {
      for (byte b : bytes) {
        out.write(b);
        out.flush();
        TimeUnit.MILLISECONDS.sleep(50);
      }
    } while (repeat);
  }

  static long timed(ThrowingCall call) {
    long start = System.nanoTime();
    assertThatThrownBy(call::run)
        .isInstanceOf(SocketTimeoutException.class)
        .hasMessage(
            "no answer within 500 ms (the deadline over connect, TLS, request and status line)");
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  interface ThrowingCall {
    void run() throws Exception;
  }

  static WebhookHttp.Answer post(String scheme, int port, byte[] body) throws IOException {
    return WebhookHttp.withDefaultTls()
        .post(
            URI.create(scheme + "://localhost:" + port + "/h"),
            InetAddress.getLoopbackAddress(),
            Map.of("Content-Type", "application/json"),
            body,
            DEADLINE);
  }

  /**
   * A TLS receiver trickled its handshake: it accepts TCP and sends a TLS record header announcing
   * 16 KiB, then one byte every 50 ms. Each read gets a byte within SO_TIMEOUT, so the handshake
   * never timed out and held a delivery thread for as long as the receiver liked.
   */
  @Test
  void aTlsHandshakeTrickledByteByByteFailsAtTheDeadline() throws Exception {
    int port =
        receiver(
            s -> {
              trickle(s, new byte[] {0x16, 0x03, 0x03, 0x40, 0x00}, false);
              trickle(s, new byte[] {0x02}, true);
            });
    assertThat(timed(() -> post("https", port, new byte[0]))).isLessThan(WITHIN_MS);
  }

  /** A TLS receiver that accepts TCP and never says anything fails at the deadline too. */
  @Test
  void aTlsReceiverThatNeverCompletesTheHandshakeFailsAtTheDeadline() throws Exception {
    int port = receiver(s -> TimeUnit.MINUTES.sleep(5));
    assertThat(timed(() -> post("https", port, new byte[0]))).isLessThan(WITHIN_MS);
  }

  /**
   * A receiver that never read the request: once the socket buffers filled, the write blocked, and
   * SO_TIMEOUT does not apply to writes, so the delivery thread was held forever.
   */
  @Test
  void aReceiverThatNeverReadsTheRequestFailsAtTheDeadline() throws Exception {
    int port = receiver(s -> TimeUnit.MINUTES.sleep(5));
    byte[] body = new byte[32 * 1024 * 1024];
    assertThat(timed(() -> post("http", port, body))).isLessThan(WITHIN_MS);
  }

  /** A status line trickled one byte at a time, forever, fails at the deadline. */
  @Test
  void aStatusLineTrickledForeverFailsAtTheDeadline() throws Exception {
    int port =
        receiver(
            s -> {
              InputStream in = s.getInputStream();
              in.read(new byte[64 * 1024]);
              trickle(s, "HTTP/1.1 200".getBytes(StandardCharsets.US_ASCII), false);
              trickle(s, new byte[] {'0'}, true);
            });
    assertThat(timed(() -> post("http", port, "{}".getBytes(StandardCharsets.UTF_8))))
        .isLessThan(WITHIN_MS);
  }

  /** Within the deadline the answer is the status, as before. */
  @Test
  void aPromptReceiverIsAnsweredWithItsStatus() throws Exception {
    int port =
        receiver(
            s -> {
              InputStream in = s.getInputStream();
              in.read(new byte[64 * 1024]);
              OutputStream out = s.getOutputStream();
              out.write("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
              out.flush();
            });
    assertThat(post("http", port, "{}".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(204);
  }
}
