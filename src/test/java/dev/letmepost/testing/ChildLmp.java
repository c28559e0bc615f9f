package dev.letmepost.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An {@code lmp} command in a child JVM, so that a test can kill it with SIGKILL mid-stream: the
 * ledger ({@code serve --no-demo}) or a publisher, as production runs them.
 */
public final class ChildLmp implements AutoCloseable {
  /** What serve and gateway print once their HTTP API listens: "HTTP API on http://host:port". */
  private static final String HTTP_LINE = "HTTP API on http://";

  private static final java.util.regex.Pattern HTTP_PORT =
      java.util.regex.Pattern.compile("^HTTP API on http://(?:\\[[^]]*]|[^:/\\s]+):(\\d+)");

  /** The most error lines {@link #close} prints of a child's output. */
  private static final int ERROR_LINES = 40;

  private final Process process;
  private final String readyLine;
  private final CountDownLatch running = new CountDownLatch(1);
  private final CountDownLatch httpBound = new CountDownLatch(1);
  private final StringBuilder output = new StringBuilder();
  private volatile int httpPort = -1;

  private ChildLmp(Process process, String readyLine) {
    this.process = process;
    this.readyLine = readyLine;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  synchronized (output) {
                    output.append(line).append('\n');
                  }
                  if (line.startsWith(readyLine)) {
                    running.countDown();
                  }
                  java.util.regex.Matcher http = HTTP_PORT.matcher(line);
                  if (line.startsWith(HTTP_LINE) && http.find()) {
                    // serve prints "HTTP API on http://host:port", gateway adds "(ledger ...)"
                    httpPort = Integer.parseInt(http.group(1));
                    httpBound.countDown();
                  }
                }
              } catch (IOException ignored) {
                // the process died; the test sees it through awaitRunning or exit
              }
            },
            "child-lmp-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** The ledger role alone: {@code lmp serve --no-demo} against {@code bootstrapServers}. */
  public static ChildLmp ledger(
      String bootstrapServers, String topicPrefix, int partitions, Path dataDir, String... extra)
      throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "serve",
                "--no-demo",
                "--no-publishers",
                "--bootstrap-servers",
                bootstrapServers,
                "--topic-prefix",
                topicPrefix,
                "--partitions",
                Integer.toString(partitions),
                "--replication-factor",
                "1",
                "--data-dir",
                dataDir.toString(),
                "--streams-config",
                "session.timeout.ms=6000",
                "--streams-config",
                "heartbeat.interval.ms=500",
                // serve also runs the HTTP gateway: any free port, never a fixed one.
                "--http-port",
                "0"));
    args.addAll(List.of(extra));
    return start("letmepost-streams is running", args);
  }

  /**
   * {@code lmp serve} with exactly {@code args} (nothing added: the caller chooses the cluster, the
   * replication factor, the ports and any {@code --streams-config}); running once it prints its "is
   * running" line, which it does when the ledger is RUNNING. See {@link #httpPort}.
   */
  public static ChildLmp serve(List<String> args) throws IOException {
    List<String> all = new ArrayList<>(List.of("serve"));
    all.addAll(args);
    return start("letmepost-streams is running", all);
  }

  /** {@code lmp publisher} with {@code args}; ready once it prints its "publishing" line. */
  public static ChildLmp publisher(List<String> args) throws IOException {
    List<String> all = new ArrayList<>(List.of("publisher"));
    all.addAll(args);
    return start("publishing ", all);
  }

  /**
   * {@code lmp webhooks dispatch} with {@code args}; ready once it prints its "dispatching" line.
   */
  public static ChildLmp webhookDispatcher(List<String> args) throws IOException {
    List<String> all = new ArrayList<>(List.of("webhooks", "dispatch"));
    all.addAll(args);
    return start("dispatching webhooks", all);
  }

  /**
   * Any {@code lmp} command, {@code args} starting with its name (e.g. {@code gateway}, {@code
   * ledger}, {@code sandbox}), with {@code environment} added to this JVM's; running once it prints
   * a line starting with {@code readyLine}.
   */
  public static ChildLmp command(
      String readyLine, List<String> args, java.util.Map<String, String> environment)
      throws IOException {
    return start(readyLine, args, environment);
  }

  private static ChildLmp start(String readyLine, List<String> args) throws IOException {
    return start(readyLine, args, java.util.Map.of());
  }

  private static ChildLmp start(
      String readyLine, List<String> args, java.util.Map<String, String> environment)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.letmepost.cli.Lmp"));
    cmd.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
    builder.environment().putAll(environment);
    Process p = builder.start();
    return new ChildLmp(p, readyLine);
  }

  public void awaitRunning(Duration timeout) throws InterruptedException {
    if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          "child lmp not running after " + timeout + "; output:\n" + output());
    }
  }

  /**
   * The port serve's (or gateway's) HTTP API listens on, read from its "HTTP API on" line; waits
   * for that line up to {@code timeout}.
   */
  public int httpPort(Duration timeout) throws InterruptedException {
    if (!httpBound.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          "child lmp printed no HTTP address within " + timeout + "; output:\n" + output());
    }
    return httpPort;
  }

  /**
   * The first group of {@code pattern} in the first output line it matches, waiting for that line
   * up to {@code timeout} (e.g. the port a role printed after binding port 0).
   */
  public String awaitOutput(java.util.regex.Pattern pattern, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (String line : output().split("\n")) {
        java.util.regex.Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m.group(1);
        }
      }
      if (System.nanoTime() > deadline || !process.isAlive()) {
        throw new IllegalStateException(
            "child lmp printed no line matching "
                + pattern
                + " within "
                + timeout
                + "; output:\n"
                + output());
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  /** Whether the child process is still alive. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * SIGTERM, as a deploy stops a role: its shutdown hook runs. Answers the exit code, or empty when
   * it had not ended {@code timeout} later.
   */
  public java.util.OptionalInt terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
        ? java.util.OptionalInt.of(process.exitValue())
        : java.util.OptionalInt.empty();
  }

  /** SIGKILL: no shutdown hook, no commit, no transaction abort. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public String output() {
    synchronized (output) {
      return output.toString();
    }
  }

  /**
   * Stops the child (SIGTERM, SIGKILL 30 s later) and prints its error lines, at most {@link
   * #ERROR_LINES}, into the test's output: what a failed run on CI needs to be understood.
   */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    List<String> errors =
        output()
            .lines()
            .filter(l -> l.contains(" ERROR ") || l.contains("Exception") || l.startsWith("Caused"))
            .limit(ERROR_LINES)
            .toList();
    if (!errors.isEmpty()) {
      System.out.println(
          "child lmp (" + readyLine.strip() + ") logged:\n  " + String.join("\n  ", errors));
    }
  }
}
