package dev.letmepost.publish;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publisher worker's access to the account a task is for: looked up as of now (it may have been
 * removed, reassigned or disconnected since the task was made) and, where the connector needs it,
 * with its secret resolved.
 */
final class TaskAccess {
  private static final Logger log = LoggerFactory.getLogger(TaskAccess.class);

  private final Platform platform;
  private final boolean needsCredentials;
  private final Function<String, Optional<Account>> accounts;
  private final Credentials credentials;

  TaskAccess(
      Platform platform,
      boolean needsCredentials,
      Function<String, Optional<Account>> accounts,
      Credentials credentials) {
    this.platform = Objects.requireNonNull(platform, "platform");
    this.needsCredentials = needsCredentials;
    this.accounts = Objects.requireNonNull(accounts, "accounts");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
  }

  /**
   * Why a task's account cannot be acted for now; the message names the account, never a reference.
   */
  static final class NoAccess extends Exception {
    final String code;

    NoAccess(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  /** The account of {@code task} with its secret, as of now. */
  AccountAccess resolve(PublishTask task) throws NoAccess {
    Account account = accounts.apply(task.accountId()).orElse(null);
    // An account that now belongs to another principal reads exactly like a removed one, as in
    // the ledger: the task's principal learns nothing about the other tenant.
    if (account == null
        || !account.platform().equals(platform.wireName())
        || !account.principal().equals(task.principal())) {
      throw new NoAccess(
          ErrorCodes.ACCOUNT_NOT_FOUND,
          "account "
              + task.accountId()
              + " is not a "
              + platform.wireName()
              + " account of this principal any more (removed, reassigned or changed since the"
              + " task was made); nothing was sent");
    }
    if (account.status() == Account.Status.disconnected) {
      throw new NoAccess(
          ErrorCodes.ACCOUNT_DISCONNECTED, "account " + task.accountId() + " is disconnected");
    }
    if (!needsCredentials) {
      return new AccountAccess(account, null);
    }
    if (account.credentials() == null) {
      throw new NoAccess(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          "account " + task.accountId() + " has no credentials reference");
    }
    try {
      return new AccountAccess(account, credentials.resolve(account.credentials()));
    } catch (Credentials.UnavailableException e) {
      // The reason names the operator's reference (env:/file:): the log gets it, the tenant not.
      log.warn("account {}: {}", task.accountId(), e.getMessage());
      throw new NoAccess(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          "account "
              + task.accountId()
              + ": its credentials cannot be read by the publisher (the operator's log names the"
              + " reference); nothing was sent");
    }
  }
}
