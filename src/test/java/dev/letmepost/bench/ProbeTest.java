package dev.letmepost.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbeTest {

  @Test
  void stateDirectoryBytesAreCountedByStore(@TempDir Path app) throws Exception {
    // A window store's segments, a key-value store under rocksdb/, the task's own files, the
    // global store.
    write(app.resolve("1_0/replay-records/replay-records.1700000000000/000012.sst"), 300);
    write(app.resolve("1_1/replay-records/replay-records.1700000000000/000013.sst"), 200);
    write(app.resolve("1_0/rocksdb/open-batch-timers/000007.sst"), 50);
    write(app.resolve("1_0/.checkpoint"), 7);
    write(app.resolve("global/rocksdb/accounts/000003.sst"), 11);

    Map<String, Long> bytes = Probe.stateDirByStore(app);

    assertThat(bytes)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "replay-records", 500L,
                "open-batch-timers", 50L,
                "(task files)", 7L,
                "accounts", 11L));
  }

  @Test
  void aMissingStateDirectoryHoldsNothing(@TempDir Path dir) {
    assertThat(Probe.stateDirByStore(dir.resolve("absent"))).isEmpty();
  }

  private static void write(Path file, int bytes) throws Exception {
    Files.createDirectories(file.getParent());
    Files.write(file, new byte[bytes]);
  }
}
