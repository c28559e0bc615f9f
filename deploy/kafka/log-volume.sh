#!/usr/bin/env bash
# Measures how much the three nodes of deploy/kafka log: bytes until every node has logged
# "Kafka Server started" (start-up), and in the 20 s after that (steady state, idle cluster).
#   deploy/kafka/log-volume.sh                # with deploy/kafka/logback.xml (INFO)
#   deploy/kafka/log-volume.sh --no-config    # logback without a configuration (DEBUG)
# Run from the project root after ./mvnw -q -B -ntp -DskipTests package; uses data/kafka-*,
# which it deletes at the end, and the ports of deploy/kafka/node-*.properties.
set -euo pipefail
logging=(-Dlogback.configurationFile=deploy/kafka/logback.xml)
if [ "${1:-}" = "--no-config" ]; then logging=(); fi
rm -rf data/kafka-1 data/kafka-2 data/kafka-3 && mkdir -p data
id=$(java -Dlogback.configurationFile=deploy/kafka/logback.xml -cp 'target/lib/*' kafka.tools.StorageTool random-uuid)
for n in 1 2 3; do
  java -Dlogback.configurationFile=deploy/kafka/logback.xml -cp 'target/lib/*' \
    kafka.tools.StorageTool format -t "$id" -c deploy/kafka/node-$n.properties > /dev/null
done
pids=()
for n in 1 2 3; do
  java -Xmx512m ${logging[@]+"${logging[@]}"} -cp 'target/lib/*' kafka.Kafka deploy/kafka/node-$n.properties \
    > data/kafka-$n.log 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 240); do
  started=0
  for n in 1 2 3; do grep -q "Kafka Server started" data/kafka-$n.log && started=$((started + 1)); done
  [ "$started" = 3 ] && break
  sleep 0.5
done
first=(); for n in 1 2 3; do first[$n]=$(wc -c < data/kafka-$n.log); done
sleep 20
for n in 1 2 3; do
  total=$(wc -c < data/kafka-$n.log)
  echo "node $n: ${first[$n]} bytes until started, $((total - first[$n])) bytes in the next 20 s"
done
for n in 1 2 3; do grep -c "Kafka Server started" data/kafka-$n.log > /dev/null || echo "node $n: never logged \"Kafka Server started\"" >&2; done
kill "${pids[@]}"; wait || true
rm -rf data/kafka-1 data/kafka-2 data/kafka-3 data/kafka-1.log data/kafka-2.log data/kafka-3.log
