package dev.letmepost.gateway;

import java.security.SecureRandom;

/**
 * The demo API key of {@code lmp serve}: the value of {@code LMP_DEMO_API_KEY} when set (so a
 * script can export it before starting), else a fresh random key.
 */
public final class DemoKey {
  public static final String ENV = "LMP_DEMO_API_KEY";

  private DemoKey() {}

  /** The key to register; a set but unusable {@code envValue} is an error naming the variable. */
  public static String choose(String envValue, SecureRandom random) {
    if (envValue == null || envValue.isEmpty()) {
      return ApiKeys.generate(random);
    }
    return ApiKeys.requireUsable(envValue, ENV);
  }
}
