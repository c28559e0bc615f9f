package dev.letmepost.ledger;

import dev.letmepost.command.Hashing;
import dev.letmepost.command.PostRequest;
import dev.letmepost.ledger.LedgerRecord.TargetState;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides, per requested target, whether it can be published: the account must exist and belong to
 * the principal (another principal's account reads exactly like a missing one), be connected,
 * appear once, take the text at its platform's length, and take the media and first comment its
 * platform's {@link dev.letmepost.wire.PlatformCapabilities} allow. A target that passes gets a
 * publish task with a stable platform idempotency key; one that fails is closed {@code failed}, and
 * no task is emitted for it.
 */
final class ResolveTargets {
  /** The per-target states in request order, and the tasks of those that passed. */
  record Resolution(List<TargetState> states, List<PublishTask> tasks) {}

  private ResolveTargets() {}

  static Resolution resolve(
      AccountDirectory accounts,
      String principal,
      PostRequest request,
      String fingerprint,
      String batchId,
      long firstSeen,
      long filedAt) {
    List<TargetState> states = new ArrayList<>();
    List<PublishTask> tasks = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < request.targets().size(); i++) {
      PostRequest.Target target = request.targets().get(i);
      Account account;
      if (target.accountId() != null) {
        account = accounts.owned(principal, target.accountId());
        if (account == null) {
          states.add(
              failed(
                  target.accountId(),
                  null,
                  "account_not_found",
                  "account '" + target.accountId() + "' not found"));
          continue;
        }
      } else {
        account = accounts.defaultAccount(principal, target.platform());
        if (account == null) {
          states.add(
              failed(
                  null,
                  target.platform().wireName(),
                  "no_default_account",
                  "no "
                      + target.platform().wireName()
                      + " account is connected for this principal"));
          continue;
        }
      }
      Integer earlier = seen.putIfAbsent(account.accountId(), i);
      if (earlier != null) {
        states.add(
            failed(
                account.accountId(),
                account.platform(),
                "duplicate_target",
                "targets["
                    + i
                    + "] resolves to account '"
                    + account.accountId()
                    + "', already targets["
                    + earlier
                    + "]"));
        continue;
      }
      if (account.status() == Account.Status.disconnected) {
        states.add(
            failed(
                account.accountId(),
                account.platform(),
                "account_disconnected",
                "account '"
                    + account.accountId()
                    + "' is disconnected; reconnect it and retry with a new key"));
        continue;
      }
      Platform platform = account.platformEnum();
      int length = platform.length(request.text());
      if (length > platform.textLimit()) {
        states.add(
            failed(
                account.accountId(),
                account.platform(),
                "text_too_long",
                "text is "
                    + length
                    + " characters as "
                    + platform.wireName()
                    + " counts them; it allows at most "
                    + platform.textLimit()));
        continue;
      }
      var refusal =
          platform
              .capabilities()
              .refusal("targets[" + i + "]", request.media(), request.firstComment());
      if (refusal.isPresent()) {
        states.add(
            failed(account.accountId(), account.platform(), "unsupported_content", refusal.get()));
        continue;
      }
      String seed = Integer.toString(i);
      String taskId = "task_" + Hashing.ulid(firstSeen, Hashing.lengthPrefixed(batchId, seed));
      String platformKey =
          Hashing.hex(
                  Hashing.lengthPrefixed(
                      "lmp-target",
                      fingerprint,
                      Long.toString(firstSeen),
                      seed,
                      account.accountId()))
              .substring(0, 32);
      tasks.add(
          new PublishTask(
              taskId,
              batchId,
              fingerprint,
              filedAt,
              i,
              account.accountId(),
              principal,
              account.platform(),
              platformKey,
              request.text(),
              request.media(),
              request.firstComment(),
              0));
      states.add(
          new TargetState(account.accountId(), account.platform(), taskId, null, null, null, null));
    }
    return new Resolution(states, tasks);
  }

  private static TargetState failed(
      String accountId, String platform, String code, String message) {
    return new TargetState(
        accountId,
        platform,
        null,
        TargetOutcome.Status.failed,
        null,
        null,
        new TargetError(code, message, false));
  }
}
