package dev.letmepost.webhook;

import dev.letmepost.net.AddressGuard;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The dispatcher's HTTP client: one {@code POST} over HTTP/1.1 ({@code Connection: close}) to
 * exactly the address the {@link AddressGuard} checked, TLS with SNI and host name verification for
 * https, and only the status line read back.
 */
final class WebhookHttp {
  /*
   * Why not java.net.http.HttpClient: it resolves the host itself when it connects, after the
   * guard looked at the addresses, so a host could resolve to a public address for the check and
   * to 127.0.0.1 for the connection (DNS rebinding). Connecting a socket to the checked
   * InetAddress closes that gap; TLS still verifies the certificate against the URL's host name.
   * A delivery needs nothing but the status, so the client is small: no redirects (a 3xx fails
   * the attempt), no keep-alive, no body read.
   *
   * The deadline covers the whole exchange. A socket's SO_TIMEOUT bounds one read only, and no
   * write: a receiver that trickles its TLS handshake or status line one byte at a time, or never
   * reads the request, would hold a delivery thread for as long as it likes. So a watchdog (one
   * shared daemon thread) closes the socket when the deadline passes, whatever the call is blocked
   * in (connect, handshake, write or read), and the attempt fails with a SocketTimeoutException.
   * Cancelled watchdog tasks are removed at once, so its queue holds at most one task per
   * attempt in progress (at most the dispatcher's thread count).
   */
  private static final int MAX_STATUS_LINE = 8 * 1024;

  private static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();

  private static ScheduledThreadPoolExecutor watchdog() {
    ScheduledThreadPoolExecutor w =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "webhook-deadline");
              t.setDaemon(true);
              return t;
            });
    w.setRemoveOnCancelPolicy(true);
    return w;
  }

  /** What the receiver answered: its status code. */
  record Answer(int status) {}

  private final SSLSocketFactory tls;

  WebhookHttp(SSLSocketFactory tls) {
    this.tls = tls;
  }

  static WebhookHttp withDefaultTls() {
    try {
      return new WebhookHttp(SSLContext.getDefault().getSocketFactory());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("no default TLS context", e);
    }
  }

  /**
   * Posts {@code body} to {@code url} through {@code address}, within {@code timeout} overall.
   *
   * @throws IOException when there is no status line in time (refused, reset, TLS, timeout)
   */
  Answer post(
      URI url, InetAddress address, Map<String, String> headers, byte[] body, Duration timeout)
      throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean https = "https".equalsIgnoreCase(url.getScheme());
    int port = url.getPort() != -1 ? url.getPort() : https ? 443 : 80;
    String host = AddressGuard.hostOf(url);
    Socket plain = new Socket();
    AtomicBoolean expired = new AtomicBoolean();
    ScheduledFuture<?> watchdog =
        WATCHDOG.schedule(
            () -> {
              expired.set(true);
              try {
                plain.close(); // unblocks connect, the handshake, a write or a read
              } catch (IOException e) {
                // closed anyway
              }
            },
            timeout.toNanos(),
            TimeUnit.NANOSECONDS);
    try (plain) {
      return exchange(plain, url, address, https, port, host, headers, body, deadline);
    } catch (IOException e) {
      if (expired.get() || e instanceof SocketTimeoutException) {
        throw new SocketTimeoutException(
            "no answer within "
                + timeout.toMillis()
                + " ms (the deadline over connect, TLS, request and status line)");
      }
      throw e;
    } finally {
      watchdog.cancel(false);
    }
  }

  private Answer exchange(
      Socket plain,
      URI url,
      InetAddress address,
      boolean https,
      int port,
      String host,
      Map<String, String> headers,
      byte[] body,
      long deadline)
      throws IOException {
    plain.connect(new InetSocketAddress(address, port), remainingMillis(deadline));
    Socket socket = plain;
    if (https) {
      SSLSocket ssl = (SSLSocket) tls.createSocket(plain, host, port, true);
      SSLParameters p = ssl.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      if (!host.contains(":") && !host.matches("[0-9.]+")) {
        p.setServerNames(List.of(new SNIHostName(host)));
      }
      ssl.setSSLParameters(p);
      ssl.setSoTimeout(remainingMillis(deadline));
      ssl.startHandshake();
      socket = ssl;
    }
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    if (url.getRawQuery() != null) {
      path += "?" + url.getRawQuery();
    }
    boolean defaultPort = port == (https ? 443 : 80);
    String hostHeader =
        (host.contains(":") ? "[" + host + "]" : host) + (defaultPort ? "" : ":" + port);
    StringBuilder head =
        new StringBuilder("POST ")
            .append(path)
            .append(" HTTP/1.1\r\nHost: ")
            .append(hostHeader)
            .append("\r\nContent-Length: ")
            .append(body.length)
            .append("\r\nConnection: close\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("\r\n");
    OutputStream out = socket.getOutputStream();
    out.write(head.toString().getBytes(StandardCharsets.UTF_8));
    out.write(body);
    out.flush();
    return new Answer(readStatus(socket, deadline));
  }

  private static int readStatus(Socket socket, long deadline) throws IOException {
    InputStream in = new BufferedInputStream(socket.getInputStream());
    StringBuilder line = new StringBuilder();
    while (true) {
      socket.setSoTimeout(remainingMillis(deadline));
      int c = in.read();
      if (c == -1) {
        throw new IOException("the receiver closed the connection without an answer");
      }
      if (c == '\n') {
        break;
      }
      if (c != '\r') {
        line.append((char) c);
      }
      if (line.length() > MAX_STATUS_LINE) {
        throw new IOException("the receiver's status line is longer than " + MAX_STATUS_LINE);
      }
    }
    String[] parts = line.toString().split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("[0-9]{3}")) {
      throw new IOException(
          "the receiver's answer is not HTTP: '" + AddressGuard.echo(line.toString()) + "'");
    }
    return Integer.parseInt(parts[1]);
  }

  private static int remainingMillis(long deadline) throws SocketTimeoutException {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0) {
      throw new SocketTimeoutException("timed out");
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }
}
