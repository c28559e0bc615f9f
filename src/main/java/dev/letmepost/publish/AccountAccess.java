package dev.letmepost.publish;

import dev.letmepost.wire.Account;
import java.net.URI;
import java.util.Objects;

/**
 * What a connector needs to act for one account: the account and its resolved secret (null for a
 * platform that needs none, like the sandbox).
 */
public record AccountAccess(Account account, Secret secret) {
  public AccountAccess {
    Objects.requireNonNull(account, "account");
  }

  /** The account's API base URL, or {@code platformDefault} when the account names none. */
  public URI endpoint(String platformDefault) {
    String base = account.endpoint() != null ? account.endpoint() : platformDefault;
    return URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
  }

  /** The secret's value; a connector that needs one calls this. */
  public String secretValue() {
    if (secret == null) {
      throw new IllegalStateException(
          "account " + account.accountId() + " has no credentials; the worker checks this first");
    }
    return secret.reveal();
  }
}
