package dev.letmepost.webhook;

import dev.letmepost.client.TopicFollower;
import dev.letmepost.net.AddressGuard;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook dispatcher role: reads {@code lmp.post-events} ({@code read_committed}, consumer
 * group {@code <prefix>webhook-dispatcher}) and delivers each event to every enabled endpoint of
 * its principal subscribed to its type, at least once, through {@link DeliveryLanes}.
 */
public final class WebhookDispatcher implements AutoCloseable {
  /*
   * Crash safety. For each events record read, the deliveries it owes are written to the
   * compacted lmp.webhook-pending topic, partition = the event's partition, in the same Kafka
   * transaction as the events offset: either both are committed or neither (a crash before the
   * commit re-reads the event). Every later change, a retry's new due time, a delivered or
   * abandoned delivery's tombstone, an attempt record, an endpoint disabled, goes into the next
   * transaction of the loop. A dispatcher that takes a partition over (a restart, a rebalance)
   * reads that pending partition to its end (read_committed; a restart under the same instance id
   * aborts the transaction the dead process left open when it initialises) and queues what is
   * still owed; it reads it in bounded steps (PendingReader), one per loop iteration, so the
   * events poll and the commits go on meanwhile. So a SIGKILL loses no delivery; an attempt that succeeded but whose
   * tombstone was not committed is made again, with the same Lmp-Event-Id.
   *
   * Anything unexpected (a failed commit, a fenced producer, a broker error) ends the session:
   * clients and queues are dropped and a new session starts from what Kafka holds, the same path a
   * restart takes.
   */
  private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);
  private static final Duration POLL = Duration.ofMillis(100);

  private final ClientSettings client;
  private final Topics topics;
  private final SigningKey key;
  private final WebhookConfig config;
  private final Clock clock;
  private final EndpointRegistry endpoints = new EndpointRegistry();
  private final TopicFollower follower;
  private final WebhookMetrics metrics;
  private final ExecutorService executor;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger pending = new AtomicInteger();
  private final Thread thread;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private volatile PendingReader reader;

  /**
   * Starts a dispatcher: it follows the endpoints topic, and once every endpoint that exists is
   * read, consumes the events.
   */
  public WebhookDispatcher(
      ClientSettings client,
      Topics topics,
      SigningKey key,
      WebhookConfig config,
      Clock clock,
      MeterRegistry registry) {
    this.client = client;
    this.topics = topics;
    this.key = key;
    this.config = config;
    this.clock = clock;
    this.metrics = new WebhookMetrics(registry);
    metrics.gauges(endpoints::disabled, pending::get);
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newFixedThreadPool(
            config.threads(),
            r -> {
              Thread t = new Thread(r, "webhook-delivery-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.follower =
        Consumers.follow(
            client, topics.webhookEndpoints().name(), r -> endpoints.apply(r.key(), r.value()));
    this.thread = new Thread(this::run, "webhook-dispatcher");
    thread.start();
  }

  private void run() {
    try {
      while (running.get() && !follower.awaitCaughtUp(Duration.ofSeconds(1))) {
        LOG.info("webhook dispatcher: waiting for the endpoints topic");
      }
      while (running.get()) {
        try {
          session();
        } catch (WakeupException e) {
          // closing
        } catch (RuntimeException e) {
          if (!running.get()) {
            break;
          }
          LOG.error("webhook dispatcher session failed, starting again: {}", e.toString(), e);
          TimeUnit.SECONDS.sleep(1);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The settings of the events consumer: the dispatcher's group, read_committed. */
  static Map<String, Object> consumerConfig(ClientSettings client, Topics topics) {
    return client.config(
        Map.of(
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.GROUP_ID_CONFIG,
            topics.prefix() + "webhook-dispatcher",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            500,
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
            6000,
            ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
            1500));
  }

  /** The settings of the dispatcher's transactional producer. */
  static Map<String, Object> producerConfig(
      ClientSettings client, Topics topics, String instanceId) {
    return client.config(
        Map.of(
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            topics.prefix() + "webhook-dispatcher-" + instanceId,
            ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
            10_000,
            ProducerConfig.ACKS_CONFIG,
            "all"));
  }

  private void session() {
    Properties c = new Properties();
    c.putAll(consumerConfig(client, topics));
    Properties p = new Properties();
    p.putAll(producerConfig(client, topics, config.instanceId()));
    Properties r = new Properties();
    r.putAll(Consumers.readCommittedConfig(client));
    r.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        KafkaConsumer<String, byte[]> events =
            new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        PendingReader pendingReader =
            new PendingReader(
                topics.webhookPending().name(),
                () -> new KafkaConsumer<>(r, new StringDeserializer(), new ByteArrayDeserializer()),
                System::nanoTime,
                PendingReader.Budget.DEFAULT)) {
      this.consumer = events;
      this.reader = pendingReader;
      if (!running.get()) {
        return;
      }
      producer.initTransactions();
      checkPartitions(events);
      DeliveryLanes lanes =
          new DeliveryLanes(
              clock,
              executor,
              WebhookHttp.withDefaultTls()::post,
              endpoints,
              key,
              new AddressGuard(config.policy(), AddressGuard.Resolver.SYSTEM),
              config,
              metrics,
              new SecureRandom()::nextDouble);
      events.subscribe(List.of(topics.events().name()), new Restore(lanes, pendingReader));
      while (running.get()) {
        ConsumerRecords<String, byte[]> records = events.poll(POLL);
        Map<Integer, List<PendingDelivery>> fresh = owed(records);
        List<DeliveryLanes.Write> writes = lanes.drain();
        if (!records.isEmpty() || !writes.isEmpty()) {
          producer.beginTransaction();
          fresh.forEach(
              (partition, list) ->
                  list.forEach(
                      d -> {
                        Future<?> unused =
                            producer.send(
                                new ProducerRecord<>(
                                    topics.webhookPending().name(),
                                    partition,
                                    d.key(),
                                    d.toJson()));
                      }));
          for (DeliveryLanes.Write w : writes) {
            // A failed send fails commitTransaction, which ends the session.
            Future<?> unused =
                producer.send(
                    new ProducerRecord<>(topic(w.kind()), w.partition(), w.key(), w.value()));
          }
          if (!records.isEmpty()) {
            producer.sendOffsetsToTransaction(offsets(records), events.groupMetadata());
          }
          producer.commitTransaction();
        }
        fresh.forEach((partition, list) -> list.forEach(d -> lanes.add(d, partition)));
        pendingReader.step(lanes, List.of());
        lanes.pump();
        pending.set(lanes.pending());
      }
    } finally {
      this.consumer = null;
      this.reader = null;
    }
  }

  /** The deliveries the events owe, by events partition. */
  private Map<Integer, List<PendingDelivery>> owed(ConsumerRecords<String, byte[]> records) {
    Map<Integer, List<PendingDelivery>> owed = new HashMap<>();
    long now = clock.millis();
    for (ConsumerRecord<String, byte[]> r : records) {
      PostEvent e;
      try {
        e = Json.read(r.value(), PostEvent.class);
      } catch (RuntimeException ex) {
        LOG.warn(
            "skipping unreadable event at {}-{}@{}: {}",
            r.topic(),
            r.partition(),
            r.offset(),
            ex.getMessage());
        continue;
      }
      String body = null;
      for (WebhookEndpoint endpoint :
          recipients(endpoints, e.principal(), e.type(), r.timestamp())) {
        if (body == null) {
          body = WebhookBody.of(e);
        }
        owed.computeIfAbsent(r.partition(), k -> new ArrayList<>())
            .add(new PendingDelivery(endpoint.id(), e.id(), e.type(), body, 0, now, now));
      }
    }
    return owed;
  }

  /**
   * The endpoints an event of {@code type} of {@code principal}, recorded at {@code timestamp}, is
   * owed to: enabled, subscribed, created at or before it, and among the principal's oldest {@link
   * WebhookStore#MAX_ENDPOINTS}, so the cap holds even when two gateways created past it at once.
   */
  static List<WebhookEndpoint> recipients(
      EndpointRegistry endpoints, String principal, String type, long timestamp) {
    return endpoints.of(principal).stream()
        .limit(WebhookStore.MAX_ENDPOINTS)
        .filter(x -> x.wants(type) && timestamp >= x.createdAtMillis())
        .toList();
  }

  private String topic(DeliveryLanes.Kind kind) {
    return switch (kind) {
      case PENDING -> topics.webhookPending().name();
      case DELIVERY -> topics.webhookDeliveries().name();
      case ENDPOINT -> topics.webhookEndpoints().name();
    };
  }

  private static Map<TopicPartition, OffsetAndMetadata> offsets(
      ConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> list = records.records(tp);
      offsets.put(tp, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
    }
    return offsets;
  }

  private void checkPartitions(KafkaConsumer<String, byte[]> c) {
    int events = c.partitionsFor(topics.events().name(), Consumers.METADATA_TIMEOUT).size();
    int owedTo = c.partitionsFor(topics.webhookPending().name(), Consumers.METADATA_TIMEOUT).size();
    if (events == 0 || events != owedTo) {
      throw new IllegalStateException(
          topics.webhookPending().name()
              + " must have as many partitions as "
              + topics.events().name()
              + " ("
              + events
              + "), has "
              + owedTo);
    }
  }

  /** On assignment, queues what the pending partitions still owe; on revocation, forgets it. */
  private static final class Restore implements ConsumerRebalanceListener {
    private final DeliveryLanes lanes;
    private final PendingReader reader;

    Restore(DeliveryLanes lanes, PendingReader reader) {
      this.lanes = lanes;
      this.reader = reader;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      List<Integer> numbers = partitions.stream().map(TopicPartition::partition).toList();
      lanes.own(numbers);
      reader.step(lanes, numbers); // the rest of the read, if any, in the loop's next steps
      LOG.info(
          "webhook dispatcher owns events partitions {}: {} deliveries pending in memory after"
              + " the first step of reading them",
          numbers,
          lanes.pending());
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      lanes.disown(partitions.stream().map(TopicPartition::partition).toList());
    }
  }

  /** Why the endpoints topic is not being followed now (down, restarting); empty while it is. */
  public Optional<String> readerProblem() {
    return follower.problem();
  }

  /** Whether every endpoint that existed at start has been read. */
  public boolean ready() {
    return follower.caughtUp();
  }

  @Override
  public void close() {
    running.set(false);
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    PendingReader r = reader;
    if (r != null) {
      r.wakeup();
    }
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    follower.close();
  }
}
