package dev.letmepost.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A closed-loop HTTP client of the gateway: {@code clients} threads, each sending its next {@code
 * POST /v1/posts} as soon as the previous one was answered, for a fixed time. Latencies of calls
 * that started within the warm-up are not kept.
 */
final class HttpLoad {
  /** The longest a phase waits for its minimum number of calls. */
  static final Duration MAX_PHASE = Duration.ofMinutes(5);

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  private final URI posts;
  private final String apiKey;
  private final int targets;

  HttpLoad(int port, String apiKey, int targets) {
    this.posts = URI.create("http://127.0.0.1:" + port + "/v1/posts");
    this.apiKey = apiKey;
    this.targets = targets;
  }

  /** What one phase measured. */
  record Run(long[] latencyNanos, long errors, double seconds, List<String> keysAnswered) {
    /** This run as the report's phase {@code name}, described as {@code what}. */
    Report.Latency latency(String name, String what) {
      return new Report.Latency(
          name, what, errors, latencyNanos.length / seconds, Percentiles.ofNanos(latencyNanos));
    }
  }

  /**
   * First calls: every call under a new key {@code <tag>-<client>-<n>}; a call counts when it is
   * answered 201 or 207 with {@code Idempotent-Replayed: false}.
   */
  Run firstCalls(String tag, int clients, Duration warmup, Duration measured, int minCalls)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    return run(
        clients, warmup, measured, minCalls, () -> tag + "-" + next.getAndIncrement(), false);
  }

  /** Replays: the keys answered before, again with the same bodies, round-robin. */
  Run replays(List<String> keys, int clients, Duration warmup, Duration measured, int minCalls)
      throws InterruptedException {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no answered key to replay");
    }
    AtomicInteger next = new AtomicInteger();
    return run(
        clients,
        warmup,
        measured,
        minCalls,
        () -> keys.get(Math.floorMod(next.getAndIncrement(), keys.size())),
        true);
  }

  private interface Keys {
    String next();
  }

  /**
   * Runs the clients for {@code warmup} (calls started then are not measured), then for at least
   * {@code measured} and until {@code minCalls} calls were measured, at most {@link #MAX_PHASE}.
   */
  private Run run(
      int clients, Duration warmup, Duration measured, int minCalls, Keys keys, boolean replay)
      throws InterruptedException {
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long end = measureFrom + measured.toNanos();
    long cap = measureFrom + MAX_PHASE.toNanos();
    AtomicLong measuredCalls = new AtomicLong();
    List<long[]> perClient = Collections.synchronizedList(new ArrayList<>());
    List<String> answered = Collections.synchronizedList(new ArrayList<>());
    AtomicLong errors = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Thread t =
          new Thread(
              () -> {
                long[] samples = new long[1024];
                int n = 0;
                while (true) {
                  long now = System.nanoTime();
                  if (now >= cap || (now >= end && measuredCalls.get() >= minCalls)) {
                    break;
                  }
                  String key = keys.next();
                  long t0 = System.nanoTime();
                  boolean ok = call(key, replay);
                  long t1 = System.nanoTime();
                  if (ok) {
                    answered.add(key);
                  }
                  if (t0 < measureFrom) {
                    continue;
                  }
                  if (!ok) {
                    errors.incrementAndGet();
                    continue;
                  }
                  if (n == samples.length) {
                    samples = java.util.Arrays.copyOf(samples, 2 * n);
                  }
                  samples[n++] = t1 - t0;
                  measuredCalls.incrementAndGet();
                }
                perClient.add(java.util.Arrays.copyOf(samples, n));
              },
              "bench-http-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    long[] all = perClient.stream().flatMapToLong(java.util.Arrays::stream).toArray();
    return new Run(
        all, errors.get(), (System.nanoTime() - measureFrom) / 1e9, List.copyOf(answered));
  }

  /** One call; true when the gateway answered as this phase expects. */
  private boolean call(String key, boolean replay) {
    HttpRequest request =
        HttpRequest.newBuilder(posts)
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + apiKey)
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Traffic.body(targets, key, 0)))
            .build();
    try {
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      boolean replayed =
          response.headers().firstValue("Idempotent-Replayed").orElse("").equals("true");
      return (response.statusCode() == 201 || response.statusCode() == 207) && replayed == replay;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
