/**
 * {@code lmp bench} ({@link dev.letmepost.bench.Benchmark}): the ledger measured against two
 * baselines over the same commands on one broker, in one process ({@link
 * dev.letmepost.bench.Baselines}: a pass-through and a hand-written dedup). It reports records per
 * second, the Kafka records written per command ({@link dev.letmepost.bench.Written}), the HTTP
 * latency through a real gateway ({@link dev.letmepost.bench.HttpLoad}, {@link
 * dev.letmepost.bench.Percentiles}), the bytes per recorded batch and the heap, as a table and as
 * JSON ({@link dev.letmepost.bench.Report}). The throughput phases answer every task at once
 * ({@link dev.letmepost.bench.InstantPublisher}) so that only the ledger's cost is measured; the
 * broker, the topics and the sandbox publishers of the HTTP phases come from {@code cli}. Depends
 * on {@code command}, {@code gateway}, {@code ledger} and {@code wire}, and only {@code cli} uses
 * it.
 */
package dev.letmepost.bench;
