package dev.letmepost.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.client.TopicFollower;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.net.AddressGuard;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Closer;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook endpoints of every principal as the API manages them: created (checked by the {@link
 * AddressGuard}, written to {@code lmp.webhook-endpoints}, answered with the derived secret),
 * listed, read, deleted, and their delivery attempts. Reads come from followers of the topics; a
 * write is applied locally once Kafka acknowledged it, so the writer reads its own writes.
 */
public final class WebhookStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookStore.class);

  /** Endpoints one principal may have. */
  public static final int MAX_ENDPOINTS = 16;

  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);

  /** Writes one endpoint record (null deletes) and returns once Kafka acknowledged it. */
  @FunctionalInterface
  public interface Writer {
    void write(String id, byte[] value) throws WebhookException;
  }

  /** What {@link #create} answers: the endpoint and its secret, shown this once. */
  public record Created(WebhookEndpoint endpoint, String secret) {}

  private final EndpointRegistry endpoints;
  private final DeliveryLog deliveries;
  private final BooleanSupplier ready;
  private final Writer writer;
  private final SigningKey key;
  private final AddressGuard guard;
  private final Clock clock;
  private final Supplier<String> ids;
  private final Closer owned = new Closer();

  /*
   * The cap of MAX_ENDPOINTS is a check and a write; a principal's changes are serialised through
   * that principal's own lock, so two concurrent creates on this instance cannot both pass the
   * check: the second sees the first's endpoint, which is applied here before the lock is
   * released. The lock is the principal's alone (never a stripe shared with others), because it is
   * held across the Kafka write (up to WRITE_TIMEOUT): a slow Kafka makes only that principal's
   * own changes wait, each for at most LOCK_WAIT, and at most MAX_WAITING of them at once (past it
   * the change is refused at once with 503), so one principal's flood holds at most MAX_WAITING
   * request threads. Bound of the lock map: an entry exists only while a request holds or awaits
   * it, so at most one per request in progress. Gateways on other instances check against their
   * own view, which lags this one's writes by a poll; the dispatcher therefore delivers to a
   * principal's oldest MAX_ENDPOINTS endpoints only, so an endpoint created past the cap in that
   * instant receives nothing.
   */
  static final int MAX_WAITING = MAX_ENDPOINTS;

  static final Duration LOCK_WAIT = WRITE_TIMEOUT.plusSeconds(5);

  private static final class PrincipalLock {
    final ReentrantLock lock = new ReentrantLock();
    int users;
  }

  private final Map<String, PrincipalLock> locks = new HashMap<>();

  /**
   * Holds {@code principal}'s lock, or refuses with 503 naming why; release with {@link #unlock}.
   */
  private PrincipalLock lock(String principal) throws WebhookException {
    PrincipalLock l;
    synchronized (locks) {
      l = locks.computeIfAbsent(principal, k -> new PrincipalLock());
      if (l.users >= MAX_WAITING) {
        throw new WebhookException(
            503,
            "webhooks_unavailable",
            "principal "
                + principal
                + " already has "
                + MAX_WAITING
                + " webhook endpoint changes in progress; retry when they are answered");
      }
      l.users++;
    }
    boolean held = false;
    try {
      held = l.lock.tryLock(LOCK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (!held) {
        release(principal, l);
      }
    }
    if (!held) {
      throw new WebhookException(
          503,
          "webhooks_unavailable",
          "another change to the webhook endpoints of principal "
              + principal
              + " was still being written after "
              + LOCK_WAIT.toSeconds()
              + " s; retry");
    }
    return l;
  }

  private void unlock(String principal, PrincipalLock l) {
    l.lock.unlock();
    release(principal, l);
  }

  private void release(String principal, PrincipalLock l) {
    synchronized (locks) {
      if (--l.users == 0) {
        locks.remove(principal);
      }
    }
  }

  /** Changes of {@code principal} in progress or waiting (tests). */
  int changing(String principal) {
    synchronized (locks) {
      PrincipalLock l = locks.get(principal);
      return l == null ? 0 : l.users;
    }
  }

  public WebhookStore(
      EndpointRegistry endpoints,
      DeliveryLog deliveries,
      BooleanSupplier ready,
      Writer writer,
      SigningKey key,
      AddressGuard guard,
      Clock clock,
      Supplier<String> ids) {
    this.endpoints = endpoints;
    this.deliveries = deliveries;
    this.ready = ready;
    this.writer = writer;
    this.key = key;
    this.guard = guard;
    this.clock = clock;
    this.ids = ids;
  }

  /** The settings of the store's producer: acks=all. */
  static Map<String, Object> producerConfig(ClientSettings client) {
    return client.config(Map.of(ProducerConfig.ACKS_CONFIG, "all"));
  }

  /** A store on the cluster: followers of the endpoints and deliveries topics and a producer. */
  public static WebhookStore start(
      ClientSettings client, Topics topics, SigningKey key, AddressGuard.Policy policy) {
    EndpointRegistry endpoints = new EndpointRegistry();
    DeliveryLog log = new DeliveryLog();
    TopicFollower endpointFollower =
        Consumers.follow(
            client,
            topics.webhookEndpoints().name(),
            r -> {
              endpoints.apply(r.key(), r.value());
              if (r.value() == null && r.key() != null) {
                log.forget(r.key()); // a deleted endpoint's attempts are no one's to read
              }
            });
    TopicFollower deliveryFollower;
    try {
      deliveryFollower =
          Consumers.follow(
              client, topics.webhookDeliveries().name(), r -> log.apply(r.key(), r.value()));
    } catch (RuntimeException e) {
      endpointFollower.close();
      throw e;
    }
    KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            producerConfig(client), new StringSerializer(), new ByteArraySerializer());
    String topic = topics.webhookEndpoints().name();
    WebhookStore store =
        new WebhookStore(
            endpoints,
            log,
            () -> endpointFollower.caughtUp() && deliveryFollower.caughtUp(),
            (id, value) -> send(producer, topic, id, value),
            key,
            new AddressGuard(policy, AddressGuard.Resolver.SYSTEM),
            Clock.systemUTC(),
            WebhookStore::newId);
    store.owned.add(endpointFollower);
    store.owned.add(deliveryFollower);
    store.owned.add(() -> producer.close(Duration.ofSeconds(5)));
    return store;
  }

  static void send(KafkaProducer<String, byte[]> producer, String topic, String id, byte[] value)
      throws WebhookException {
    try {
      producer
          .send(new ProducerRecord<>(topic, id, value))
          .get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WebhookException(503, "webhooks_unavailable", "interrupted writing " + id);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new WebhookException(
          503,
          "webhooks_unavailable",
          "Kafka did not take the write of webhook endpoint " + id + ": " + cause);
    }
  }

  /** A new endpoint id: {@code we_} and 32 random hex digits. */
  public static String newId() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return "we_" + HexFormat.of().formatHex(b);
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Why the store's topic followers are not reading now (down, restarting); empty while they read
   * (and for a store without followers of its own).
   */
  public Optional<String> readerProblem() {
    List<String> problems = new ArrayList<>();
    for (TopicFollower f : owned.partsOf(TopicFollower.class)) {
      f.problem().ifPresent(problems::add);
    }
    return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  /** Whether every endpoint and attempt that existed at start has been read. */
  public boolean ready() {
    return ready.getAsBoolean();
  }

  public AddressGuard guard() {
    return guard;
  }

  /**
   * Parses a creation request, {@code {"url": "...", "events": ["...", ...]}}.
   *
   * @throws WebhookException 400 naming the field and the value
   */
  public static Request parse(byte[] body) throws WebhookException {
    JsonNode tree;
    try {
      tree = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw new WebhookException(
          400, "malformed_json", "the body is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (tree == null || !tree.isObject()) {
      throw new WebhookException(400, "not_an_object", "the body must be a JSON object");
    }
    for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("url") && !f.equals("events")) {
        throw new WebhookException(
            400, "unknown_field", "unknown field '" + AddressGuard.echo(f) + "'");
      }
    }
    JsonNode url = tree.get("url");
    if (url == null || !url.isTextual()) {
      throw new WebhookException(400, "invalid_url", "url is required and must be a string");
    }
    JsonNode events = tree.get("events");
    if (events == null || !events.isArray()) {
      throw new WebhookException(
          400, "invalid_events", "events is required: an array of event types " + EventTypes.ALL);
    }
    List<String> types = new ArrayList<>();
    for (JsonNode t : events) {
      if (!t.isTextual()) {
        throw new WebhookException(
            400,
            "invalid_events",
            "events must hold strings, got " + AddressGuard.echo(t.toString()));
      }
      types.add(t.asText());
    }
    return new Request(url.asText(), types);
  }

  /** A creation request. */
  public record Request(String url, List<String> events) {}

  /** The event types of a request, checked: at least one, each known, no repeats. */
  public static List<String> checkEvents(List<String> events) throws WebhookException {
    if (events.isEmpty()) {
      throw new WebhookException(
          400, "invalid_events", "events must name at least one of " + EventTypes.ALL);
    }
    Set<String> seen = new LinkedHashSet<>();
    for (String t : events) {
      if (!EventTypes.ALL.contains(t)) {
        throw new WebhookException(
            400,
            "unknown_event_type",
            "unknown event type '" + AddressGuard.echo(t) + "'; known: " + EventTypes.ALL);
      }
      if (!seen.add(t)) {
        throw new WebhookException(
            400, "duplicate_event_type", "event type '" + t + "' is listed twice");
      }
    }
    return List.copyOf(seen);
  }

  /**
   * Creates an endpoint for {@code principal}.
   *
   * @throws WebhookException 400 for a refused URL or bad events, 409 past {@link #MAX_ENDPOINTS},
   *     503 when Kafka does not take the write or the principal's other changes hold it up (see
   *     {@link #MAX_WAITING})
   */
  public Created create(String principal, String url, List<String> events) throws WebhookException {
    List<String> types = checkEvents(events);
    try {
      guard.check(url);
    } catch (AddressGuard.Refused e) {
      throw new WebhookException(400, "url_not_allowed", e.getMessage());
    }
    PrincipalLock l = lock(principal);
    try {
      return createLocked(principal, url, types);
    } finally {
      unlock(principal, l);
    }
  }

  private Created createLocked(String principal, String url, List<String> types)
      throws WebhookException {
    if (endpoints.of(principal).size() >= MAX_ENDPOINTS) {
      throw new WebhookException(
          409,
          "too_many_endpoints",
          "principal " + principal + " already has " + MAX_ENDPOINTS + " webhook endpoints");
    }
    long now = clock.millis();
    WebhookEndpoint e =
        new WebhookEndpoint(
            ids.get(),
            principal,
            url,
            types,
            WebhookEndpoint.Status.enabled,
            Rfc3339.format(now),
            now,
            null,
            null);
    writer.write(e.id(), e.toJson());
    endpoints.put(e);
    return new Created(e, key.secretFor(e.id()));
  }

  public List<WebhookEndpoint> list(String principal) {
    return endpoints.of(principal);
  }

  /** The endpoint, when it is {@code principal}'s (another's reads as absent). */
  public Optional<WebhookEndpoint> get(String principal, String id) {
    return endpoints.get(id).filter(e -> e.principal().equals(principal));
  }

  /** Deletes the endpoint; false when {@code principal} has no such endpoint. */
  public boolean delete(String principal, String id) throws WebhookException {
    if (get(principal, id).isEmpty()) {
      return false;
    }
    PrincipalLock l = lock(principal);
    try {
      writer.write(id, null);
      endpoints.remove(id);
      deliveries.forget(id);
    } finally {
      unlock(principal, l);
    }
    try {
      // The dispatcher's mark, if any: readers ignore a mark without its endpoint, so this only
      // keeps the compacted topic clean; the delete above already took effect.
      writer.write(DisabledMark.key(id), null);
    } catch (WebhookException e) {
      LOG.warn("webhook endpoint {} deleted; its disabled mark stays: {}", id, e.getMessage());
    }
    return true;
  }

  /** The endpoint's latest attempts, newest first; empty when it is not {@code principal}'s. */
  public Optional<List<DeliveryAttempt>> deliveries(String principal, String id) {
    return get(principal, id).map(e -> deliveries.of(id));
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return AddressGuard.echo(nl < 0 ? s : s.substring(0, nl));
  }

  @Override
  public void close() {
    owned.close();
  }
}
