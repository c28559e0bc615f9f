package dev.letmepost.publish;

import dev.letmepost.wire.Platform;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A set of running publisher workers, one per platform, sharing one {@link AccountBook}: what
 * {@code lmp publisher} and {@code lmp serve} run. Closing stops every worker (each hands its
 * unfinished tasks over through its journal) and then the account book.
 */
public final class Publishers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Publishers.class);

  private final AccountBook accounts;
  private final List<PublisherWorker> workers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();

  private Publishers(AccountBook accounts) {
    this.accounts = accounts;
  }

  /**
   * Starts one worker per config, each on its own thread, once the accounts topic has been read.
   *
   * @param connectors the connector for each platform, given the shared HTTP client
   */
  public static Publishers start(
      String bootstrapServers,
      List<PublisherConfig> configs,
      Function<PlatformHttp, Function<Platform, Connector>> connectors,
      Credentials credentials,
      Clock clock) {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    if (configs.isEmpty()) {
      throw new IllegalArgumentException("no platform to publish to");
    }
    PublisherConfig first = configs.get(0);
    AccountBook book = new AccountBook(bootstrapServers, first.topics().accounts().name());
    Publishers p = new Publishers(book);
    try {
      if (!book.awaitCaughtUp(Duration.ofSeconds(60))) {
        throw new IllegalStateException(
            "could not read " + first.topics().accounts().name() + " within 60 s");
      }
      PlatformHttp http =
          PlatformHttp.create(first.connectTimeout(), first.requestTimeout(), clock);
      Function<Platform, Connector> byPlatform = connectors.apply(http);
      for (PublisherConfig config : configs) {
        PublisherWorker worker =
            PublisherWorker.create(
                bootstrapServers,
                config,
                byPlatform.apply(config.platform()),
                book::get,
                credentials,
                clock);
        Thread t = new Thread(worker, "publisher-" + config.platform().wireName());
        t.setDaemon(true);
        t.start();
        p.workers.add(worker);
        p.threads.add(t);
      }
      return p;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.close();
      throw new IllegalStateException("interrupted while starting the publishers", e);
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  /** The outcomes written so far by all workers. */
  public int outcomesWritten() {
    return workers.stream().mapToInt(PublisherWorker::outcomesWritten).sum();
  }

  @Override
  public void close() {
    workers.parallelStream()
        .forEach(
            w -> {
              try {
                w.close();
              } catch (RuntimeException e) {
                log.warn("could not stop a publisher worker: {}", e.toString());
              }
            });
    accounts.close();
  }
}
