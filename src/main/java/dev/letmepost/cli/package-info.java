/**
 * The {@code lmp} command line ({@link dev.letmepost.cli.Lmp}) and the one package that puts the
 * roles together: {@link dev.letmepost.cli.ServeCommand} runs every role in one process ({@link
 * dev.letmepost.cli.Services}: the embedded broker when no cluster is given, the topics, the
 * ledger, the publishers and, in demo mode, the demo accounts and the sandbox, beside the gateway);
 * the other commands each run one role against a cluster (gateway, ledger, publisher, webhook
 * dispatcher, sandbox), manage a compacted topic (accounts, API keys, webhook endpoints), send one
 * post command ({@link dev.letmepost.cli.PostClient}) or run the benchmark. It owns how a process
 * is configured from its options ({@link dev.letmepost.cli.KafkaOptions}: the cluster, its client
 * settings and the topic prefix); nothing depends on it.
 */
package dev.letmepost.cli;
