package dev.letmepost.gateway;

import dev.letmepost.ledger.BatchView;
import dev.letmepost.ledger.DryRun;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.ledger.LedgerReads;
import dev.letmepost.ledger.LedgerTopology;
import dev.letmepost.ledger.RequestView;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The {@link LedgerView} of a ledger instance running in this process: interactive queries on its
 * stores, and the other instances as Kafka Streams knows them from their {@code
 * application.server}.
 */
public final class StreamsLedgerView implements LedgerView {
  private final KafkaStreams streams;
  private final LedgerReads reads;
  private final DryRun dryRun;
  private final HostInfo self;

  /**
   * @param self this instance's {@code application.server}, null when it has none (a single
   *     instance)
   */
  public StreamsLedgerView(KafkaStreams streams, LedgerConfig config, HostInfo self) {
    this.streams = Objects.requireNonNull(streams, "streams");
    this.reads = LedgerReads.of(streams, config);
    this.dryRun = DryRun.of(streams, config);
    this.self = self;
  }

  @Override
  public boolean running() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  @Override
  public Optional<BatchView> liveRecord(String fingerprint, Instant now) {
    return reads.liveRecord(fingerprint, now);
  }

  @Override
  public Optional<BatchView> batch(String batchId) {
    return reads.batch(batchId);
  }

  @Override
  public Optional<RequestView> request(String requestId) {
    return reads.request(requestId);
  }

  @Override
  public DryRun.Verdict validate(String principal, byte[] body, Instant now) {
    return dryRun.validate(principal, body, now);
  }

  @Override
  public Optional<URI> ownerOf(String fingerprint) {
    if (self == null) {
      return Optional.empty();
    }
    KeyQueryMetadata m =
        streams.queryMetadataForKey(
            LedgerTopology.REPLAY_STORE, fingerprint, Serdes.String().serializer());
    HostInfo owner = m.activeHost();
    if (owner == null || owner.equals(HostInfo.unavailable()) || owner.equals(self)) {
      return Optional.empty();
    }
    return Optional.of(url(owner));
  }

  @Override
  public List<URI> peers() {
    if (self == null) {
      return List.of();
    }
    return streams.metadataForAllStreamsClients().stream()
        .map(StreamsMetadata::hostInfo)
        .filter(h -> !h.equals(self) && !h.equals(HostInfo.unavailable()))
        .distinct()
        .map(StreamsLedgerView::url)
        .toList();
  }

  private static URI url(HostInfo h) {
    String host = h.host().contains(":") ? "[" + h.host() + "]" : h.host();
    return URI.create("http://" + host + ":" + h.port());
  }
}
