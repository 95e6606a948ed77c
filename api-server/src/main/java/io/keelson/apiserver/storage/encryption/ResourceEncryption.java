package io.keelson.apiserver.storage.encryption;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.List;

/**
 * The providers of one {@code resources} entry: the first seals what is written, each may open
 * what is read (so a key can be rotated: add the new one, rewrite, drop the old).
 */
final class ResourceEncryption {
  private final List<Provider> providers;
  private final boolean readsPlain;

  ResourceEncryption(List<Provider> providers) {
    this.providers = List.copyOf(providers);
    this.readsPlain = providers.stream().anyMatch(Provider::isIdentity);
  }

  byte[] toStorage(String etcdKey, byte[] plain) {
    Provider first = providers.getFirst();
    if (first.isIdentity()) return plain;
    Provider.Key k = first.keys().getFirst();
    try {
      byte[] sealed = k.cipher().seal(plain, etcdKey.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[k.prefix().length + sealed.length];
      System.arraycopy(k.prefix(), 0, out, 0, k.prefix().length);
      System.arraycopy(sealed, 0, out, k.prefix().length, sealed.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(first.name() + " key " + k.name() + " could not encrypt: " + e.getMessage(), e);
    }
  }

  boolean isStale(byte[] stored) {
    Provider first = providers.getFirst();
    return first.isIdentity() ? startsWith(stored, Provider.ENVELOPE_BYTES) : !startsWith(stored, first.keys().getFirst().prefix());
  }

  byte[] fromStorage(String etcdKey, byte[] stored) throws UnreadableValueException {
    if (!startsWith(stored, Provider.ENVELOPE_BYTES)) {
      if (readsPlain) return stored;
      throw new UnreadableValueException("the value is not encrypted and identity is not among the providers of"
          + " --encryption-provider-config; list identity: {} last to read values written before encryption was on");
    }
    String envelope = envelopeOf(stored);
    for (Provider p : providers) {
      if (p.isIdentity() || !envelope.startsWith(p.envelopePrefix())) continue;
      for (Provider.Key k : p.keys()) {
        if (!startsWith(stored, k.prefix())) continue;
        try {
          return k.cipher().open(stored, k.prefix().length, etcdKey.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
          throw new UnreadableValueException(p.name() + " key \"" + k.name() + "\" does not decrypt it (" + e.getMessage()
              + "): the key's secret changed or the stored bytes were altered");
        }
      }
      throw new UnreadableValueException("it was encrypted with " + p.name() + " key \"" + keyName(envelope, p)
          + "\", which --encryption-provider-config no longer lists; add that key back to the " + p.name() + " provider to read it");
    }
    String provider = envelope.substring(Provider.ENVELOPE.length()).split(":", 2)[0];
    throw new UnreadableValueException("it was encrypted by provider " + provider + ", which --encryption-provider-config"
        + " does not list for this resource; add it (with its key) to the providers to read it");
  }

  /** The envelope's text (up to the key name's end), for messages and provider matching. */
  private static String envelopeOf(byte[] stored) {
    int colons = 0;
    int end = 0;
    while (end < stored.length && end < 300 && colons < 5) {
      if (stored[end] == ':') colons++;
      end++;
    }
    return new String(stored, 0, end, StandardCharsets.UTF_8);
  }

  private static String keyName(String envelope, Provider p) {
    String rest = envelope.substring(p.envelopePrefix().length());
    return rest.endsWith(":") ? rest.substring(0, rest.length() - 1) : rest;
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    return b.length >= prefix.length && java.util.Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
  }
}
