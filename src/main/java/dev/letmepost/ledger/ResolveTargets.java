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
 *
 * <p>The rules are {@link #verdicts}; a new batch ({@link #resolve}) and a dry run ({@link DryRun})
 * both read them there.
 */
final class ResolveTargets {
  /** The per-target states in request order, and the tasks of those that passed. */
  record Resolution(List<TargetState> states, List<PublishTask> tasks) {}

  /** What one requested target resolves to: the account it would publish to, or its refusal. */
  sealed interface Verdict {
    /** The account the target resolved to (null when none did), as its target state names it. */
    String accountId();

    /** The platform of the target (null when the account was not found). */
    String platform();
  }

  /** The target passes: it would be published to {@code account}. */
  record Accepted(Account account) implements Verdict {
    @Override
    public String accountId() {
      return account.accountId();
    }

    @Override
    public String platform() {
      return account.platform();
    }
  }

  /** The target is refused with {@code error}; its batch closes it {@code failed}. */
  record Refused(String accountId, String platform, TargetError error) implements Verdict {}

  private ResolveTargets() {}

  /**
   * The verdict on each target of {@code request}, in request order, for {@code principal}, by the
   * accounts {@code accounts} holds now.
   */
  static List<Verdict> verdicts(AccountDirectory accounts, String principal, PostRequest request) {
    List<Verdict> verdicts = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < request.targets().size(); i++) {
      verdicts.add(verdict(accounts, principal, request, i, seen));
    }
    return verdicts;
  }

  /**
   * The verdict on target {@code i}; {@code seen} holds the index of the first target of each
   * account resolved so far, and takes this one's.
   */
  private static Verdict verdict(
      AccountDirectory accounts,
      String principal,
      PostRequest request,
      int i,
      Map<String, Integer> seen) {
    PostRequest.Target target = request.targets().get(i);
    Account account;
    if (target.accountId() != null) {
      account = accounts.owned(principal, target.accountId());
      if (account == null) {
        return refused(
            target.accountId(),
            null,
            "account_not_found",
            "account '" + target.accountId() + "' not found");
      }
    } else {
      account = accounts.defaultAccount(principal, target.platform());
      if (account == null) {
        return refused(
            null,
            target.platform().wireName(),
            "no_default_account",
            "no " + target.platform().wireName() + " account is connected for this principal");
      }
    }
    Integer earlier = seen.putIfAbsent(account.accountId(), i);
    if (earlier != null) {
      return refused(
          account.accountId(),
          account.platform(),
          "duplicate_target",
          "targets["
              + i
              + "] resolves to account '"
              + account.accountId()
              + "', already targets["
              + earlier
              + "]");
    }
    if (account.status() == Account.Status.disconnected) {
      return refused(
          account.accountId(),
          account.platform(),
          "account_disconnected",
          "account '"
              + account.accountId()
              + "' is disconnected; reconnect it and retry with a new key");
    }
    Platform platform = account.platformEnum();
    int length = platform.length(request.text());
    if (length > platform.textLimit()) {
      return refused(
          account.accountId(),
          account.platform(),
          "text_too_long",
          "text is "
              + length
              + " characters as "
              + platform.wireName()
              + " counts them; it allows at most "
              + platform.textLimit());
    }
    var refusal =
        platform
            .capabilities()
            .refusal("targets[" + i + "]", request.media(), request.firstComment());
    if (refusal.isPresent()) {
      return refused(account.accountId(), account.platform(), "unsupported_content", refusal.get());
    }
    return new Accepted(account);
  }

  /**
   * The states and tasks of a new batch of {@code request}: each target's {@link #verdicts
   * verdict}, a task for each one accepted.
   */
  static Resolution resolve(
      AccountDirectory accounts,
      String principal,
      PostRequest request,
      String fingerprint,
      String batchId,
      long firstSeen,
      long filedAt) {
    List<Verdict> verdicts = verdicts(accounts, principal, request);
    List<TargetState> states = new ArrayList<>();
    List<PublishTask> tasks = new ArrayList<>();
    for (int i = 0; i < verdicts.size(); i++) {
      Verdict v = verdicts.get(i);
      if (v instanceof Refused r) {
        states.add(
            new TargetState(
                r.accountId(),
                r.platform(),
                null,
                TargetOutcome.Status.failed,
                null,
                null,
                r.error()));
        continue;
      }
      Account account = ((Accepted) v).account();
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

  private static Refused refused(String accountId, String platform, String code, String message) {
    return new Refused(accountId, platform, new TargetError(code, message, false));
  }
}
