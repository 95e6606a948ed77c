package io.keelson.apiserver.storage.encryption;

/** The EncryptionConfiguration cannot be used; the message names the field and what is wrong with it. */
public final class InvalidEncryptionConfigException extends Exception {
  public InvalidEncryptionConfigException(String message) {
    super(message);
  }
}
