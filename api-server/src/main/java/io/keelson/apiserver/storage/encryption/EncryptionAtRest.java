package io.keelson.apiserver.storage.encryption;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Encryption at rest, as kube-apiserver's {@code --encryption-provider-config}: which etcd keys'
 * values are sealed, and how. The storage layer asks {@link #forKey} once per value it writes or
 * reads; keys of resources not configured get null and are stored untouched, without a copy.
 */
public final class EncryptionAtRest {

  /** A {@code resources} entry's etcd key prefix ({@code /registry/core/secrets/}) and its providers. */
  record Rule(String keyPrefix, ResourceEncryption encryption) {}

  private final List<Rule> rules;

  EncryptionAtRest(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** Reads and checks an EncryptionConfiguration file; the exception's message names the bad field. */
  public static EncryptionAtRest load(Path file) throws InvalidEncryptionConfigException {
    String yaml;
    try {
      yaml = Files.readString(file);
    } catch (IOException e) {
      throw new InvalidEncryptionConfigException("cannot read " + file + ": " + e.getMessage());
    }
    return EncryptionConfiguration.parse(yaml);
  }

  /** The encryption of values stored under {@code etcdKey}, or null when they are stored as they are. */
  public Transformer forKey(String etcdKey) {
    for (Rule r : rules) {
      // the first entry that names the resource wins, as in kube (an explicit name before a wildcard)
      if (etcdKey.startsWith(r.keyPrefix())) return new Transformer(etcdKey, r.encryption());
    }
    return null;
  }

  /** What happens to one key's values on their way to etcd and back. */
  public record Transformer(String etcdKey, ResourceEncryption encryption) {
    public byte[] toStorage(byte[] plain) {
      return encryption.toStorage(etcdKey, plain);
    }

    public byte[] fromStorage(byte[] stored) throws UnreadableValueException {
      return encryption.fromStorage(etcdKey, stored);
    }

    /** Whether a write now would store the value otherwise (another key or provider than the first). */
    public boolean isStale(byte[] stored) {
      return encryption.isStale(stored);
    }
  }
}
