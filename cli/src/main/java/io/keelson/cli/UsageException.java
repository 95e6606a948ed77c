package io.keelson.cli;

/** Wrong use of a command detected after parsing (missing resource type, ...): exit code 2. */
public final class UsageException extends RuntimeException {
  public UsageException(String message) {
    super(message);
  }
}
