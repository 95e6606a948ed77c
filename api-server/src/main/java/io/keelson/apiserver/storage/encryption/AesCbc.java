package io.keelson.apiserver.storage.encryption;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * kube's aescbc: a random 16-byte IV, then AES-CBC with PKCS#7 padding. Not authenticated: a wrong
 * key or changed bytes usually fail the padding check, but not always (kube's docs say so too).
 */
final class AesCbc implements KeyCipher {
  private static final int BLOCK = 16;
  private static final SecureRandom RANDOM = new SecureRandom();
  private final SecretKeySpec key;

  AesCbc(byte[] secret) {
    this.key = new SecretKeySpec(secret, "AES");
  }

  @Override
  public byte[] seal(byte[] plain, byte[] etcdKey) throws GeneralSecurityException {
    byte[] iv = new byte[BLOCK];
    RANDOM.nextBytes(iv);
    Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding"); // PKCS5 is PKCS#7 for 16-byte blocks
    c.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
    byte[] out = new byte[BLOCK + c.getOutputSize(plain.length)];
    System.arraycopy(iv, 0, out, 0, BLOCK);
    int n = c.doFinal(plain, 0, plain.length, out, BLOCK);
    return n + BLOCK == out.length ? out : java.util.Arrays.copyOf(out, n + BLOCK);
  }

  @Override
  public byte[] open(byte[] sealed, int offset, byte[] etcdKey) throws GeneralSecurityException {
    int len = sealed.length - offset - BLOCK;
    if (len < BLOCK) throw new GeneralSecurityException("the stored data was shorter than the required size");
    if (len % BLOCK != 0) throw new GeneralSecurityException("the stored data is not a multiple of the block size");
    Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
    c.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(sealed, offset, BLOCK));
    return c.doFinal(sealed, offset + BLOCK, len);
  }
}
