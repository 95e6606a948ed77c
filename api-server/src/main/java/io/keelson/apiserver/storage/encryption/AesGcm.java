package io.keelson.apiserver.storage.encryption;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * kube's aesgcm: a random 12-byte nonce, then AES-GCM's ciphertext and 16-byte tag, with the etcd
 * key as additional authenticated data (a value copied to another key does not open).
 */
final class AesGcm implements KeyCipher {
  private static final int NONCE = 12;
  private static final SecureRandom RANDOM = new SecureRandom();
  private final SecretKeySpec key;

  AesGcm(byte[] secret) {
    this.key = new SecretKeySpec(secret, "AES");
  }

  @Override
  public byte[] seal(byte[] plain, byte[] etcdKey) throws GeneralSecurityException {
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    c.updateAAD(etcdKey);
    byte[] out = new byte[NONCE + c.getOutputSize(plain.length)];
    System.arraycopy(nonce, 0, out, 0, NONCE);
    c.doFinal(plain, 0, plain.length, out, NONCE);
    return out;
  }

  @Override
  public byte[] open(byte[] sealed, int offset, byte[] etcdKey) throws GeneralSecurityException {
    if (sealed.length - offset < NONCE) throw new GeneralSecurityException("the stored data was shorter than the required size");
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, offset, NONCE));
    c.updateAAD(etcdKey);
    return c.doFinal(sealed, offset + NONCE, sealed.length - offset - NONCE);
  }
}
