package dev.letmepost.command;

import dev.letmepost.wire.LmpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The per-command work before any store is touched: reading a command's headers (which also
 * derives the fingerprint and the body hash), the fingerprint and the body hash alone, and the
 * preflight of a first-seen body. A three-target body as {@code lmp bench} sends it.
 *
 * <pre>
 * ./mvnw -B -ntp -Pjmh -DskipTests test-compile exec:exec
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CommandBenchmarks {
  private RecordHeaders headers;
  private byte[] body;

  @Setup
  public void setUp() {
    body =
        ("{\"targets\":[{\"accountId\":\"acc_bench_0\"},{\"accountId\":\"acc_bench_1\"},"
                + "{\"accountId\":\"acc_bench_2\"}],\"text\":\"benchmark post first-17: shipped"
                + " the release notes, read them on the blog\"}")
            .getBytes(StandardCharsets.UTF_8);
    headers = new RecordHeaders();
    headers.add(LmpHeaders.PRINCIPAL, "key_bench".getBytes(StandardCharsets.UTF_8));
    headers.add(LmpHeaders.REQUEST_ID, "req-first-17".getBytes(StandardCharsets.UTF_8));
    headers.add(LmpHeaders.IDEMPOTENCY_KEY, "first-17".getBytes(StandardCharsets.UTF_8));
  }

  @Benchmark
  public Command readCommand() {
    return CommandReader.read(headers, body, "bench.post-commands/3/12345");
  }

  @Benchmark
  public String fingerprint() {
    return Hashing.fingerprint("key_bench", "POST", "/v1/posts", "first-17");
  }

  @Benchmark
  public String bodyHash() {
    return Hashing.sha256Hex(body);
  }

  @Benchmark
  public Preflight.Result preflight() {
    return Preflight.check(body);
  }
}
