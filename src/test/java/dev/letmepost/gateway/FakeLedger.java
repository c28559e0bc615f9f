package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import dev.letmepost.client.Command;
import dev.letmepost.ledger.BatchView;
import dev.letmepost.ledger.DryRun;
import dev.letmepost.ledger.RequestView;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A hand-written ledger for the gateway's HTTP tests: records every submitted command and answers
 * it as the test says; serves reads from maps the test fills, and dry runs from the real {@link
 * DryRun} the test sets (over a {@link DriverLedger}'s accounts).
 */
class FakeLedger implements LedgerClient, LedgerView {
  /** One command as the gateway handed it over. */
  record Submitted(
      String requestId,
      String principal,
      String idempotencyKey,
      String method,
      String path,
      byte[] body) {}

  final List<Submitted> submitted = new CopyOnWriteArrayList<>();
  final Map<String, CompletableFuture<Answer>> pending = new ConcurrentHashMap<>();
  volatile Function<Submitted, Answer> answers = s -> null;

  /** When it gives an exception, {@link #submit} throws it, as a closed producer does. */
  volatile Function<Submitted, RuntimeException> throwing = s -> null;

  volatile boolean running = true;
  final Map<String, BatchView> liveByFingerprint = new ConcurrentHashMap<>();
  final Map<String, BatchView> batches = new ConcurrentHashMap<>();
  final Map<String, RequestView> requests = new ConcurrentHashMap<>();
  final Map<String, URI> owners = new ConcurrentHashMap<>();
  final List<URI> peers = new CopyOnWriteArrayList<>();

  /** The dry runs {@link #validate} answers with; none until a test sets one. */
  volatile DryRun dryRun;

  /** Every look-up the gateway made in the ledger's local stores, as "method argument". */
  final List<String> lookups = new CopyOnWriteArrayList<>();

  final AtomicInteger validated = new AtomicInteger();

  @Override
  public CompletableFuture<Answer> submit(Command command, Duration deadline) {
    String requestId = command.requestId();
    Submitted s =
        new Submitted(
            requestId,
            command.principal(),
            command.idempotencyKey(),
            command.request().method(),
            command.request().path(),
            command.request().body());
    submitted.add(s);
    RuntimeException thrown = throwing.apply(s);
    if (thrown != null) {
      throw thrown;
    }
    CompletableFuture<Answer> f = new CompletableFuture<>();
    Answer a = answers.apply(s);
    if (a != null) {
      f.complete(a);
    } else {
      pending.put(requestId, f);
      f.whenComplete((x, e) -> pending.remove(requestId));
    }
    return f;
  }

  @Override
  public boolean running() {
    return running;
  }

  @Override
  public Optional<BatchView> liveRecord(String fingerprint, Instant now) {
    lookups.add("liveRecord " + fingerprint);
    return Optional.ofNullable(liveByFingerprint.get(fingerprint));
  }

  @Override
  public Optional<BatchView> batch(String batchId) {
    lookups.add("batch " + batchId);
    return Optional.ofNullable(batches.get(batchId));
  }

  @Override
  public Optional<RequestView> request(String requestId) {
    lookups.add("request " + requestId);
    return Optional.ofNullable(requests.get(requestId));
  }

  @Override
  public DryRun.Verdict validate(String principal, byte[] body, Instant now) {
    validated.incrementAndGet();
    if (dryRun == null) {
      throw new IllegalStateException("this test set no dry run (FakeLedger.dryRun)");
    }
    return dryRun.validate(principal, body, now);
  }

  @Override
  public Optional<URI> ownerOf(String fingerprint) {
    lookups.add("ownerOf " + fingerprint);
    return Optional.ofNullable(owners.get(fingerprint));
  }

  @Override
  public List<URI> peers() {
    return new ArrayList<>(peers);
  }
}
