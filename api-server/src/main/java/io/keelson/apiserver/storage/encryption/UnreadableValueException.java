package io.keelson.apiserver.storage.encryption;

/** A stored value the configured providers cannot turn back into the object; the message says what to fix. */
public final class UnreadableValueException extends Exception {
  public UnreadableValueException(String message) {
    super(message);
  }
}
