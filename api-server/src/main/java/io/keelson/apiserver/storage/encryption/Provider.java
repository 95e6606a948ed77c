package io.keelson.apiserver.storage.encryption;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One entry of a resource's {@code providers}: {@code identity} (no keys: values stored as they
 * are) or a cipher with named keys, the first of which seals new writes.
 *
 * @param name "identity", "aescbc", "aesgcm" or "secretbox"
 * @param keys the named keys in configured order (empty for identity)
 */
record Provider(String name, List<Key> keys) {

  /** A named key; {@code prefix} is its whole envelope prefix, {@code k8s:enc:<provider>:v1:<name>:}. */
  record Key(String name, KeyCipher cipher, byte[] prefix) {}

  static final String ENVELOPE = "k8s:enc:";
  static final byte[] ENVELOPE_BYTES = ENVELOPE.getBytes(StandardCharsets.US_ASCII);

  static Provider identity() {
    return new Provider("identity", List.of());
  }

  boolean isIdentity() {
    return keys.isEmpty();
  }

  /** {@code k8s:enc:<provider>:v1:}: what every value this provider sealed begins with. */
  String envelopePrefix() {
    return ENVELOPE + name + ":v1:";
  }

  static Key key(String provider, String name, KeyCipher cipher) {
    return new Key(name, cipher, (ENVELOPE + provider + ":v1:" + name + ":").getBytes(StandardCharsets.UTF_8));
  }
}
