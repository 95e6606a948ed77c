package io.keelson.apiserver.storage.encryption;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * kube's secretbox: a random 24-byte nonce, then NaCl's secretbox (XSalsa20-Poly1305): the
 * Poly1305 tag, then the ciphertext. Built from BouncyCastle's XSalsa20 and Poly1305: the first 32
 * bytes of the key stream are the one-time Poly1305 key, the rest encrypts.
 */
final class SecretBox implements KeyCipher {
  private static final int NONCE = 24;
  private static final int TAG = 16;
  private static final SecureRandom RANDOM = new SecureRandom();
  private final byte[] key;

  SecretBox(byte[] secret) {
    this.key = secret.clone();
  }

  @Override
  public byte[] seal(byte[] plain, byte[] etcdKey) {
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    return sealWithNonce(plain, nonce);
  }

  /** The box with a given nonce (tests check it against NaCl's vector). */
  byte[] sealWithNonce(byte[] plain, byte[] nonce) {
    byte[] out = new byte[NONCE + TAG + plain.length];
    System.arraycopy(nonce, 0, out, 0, NONCE);
    XSalsa20Engine stream = stream(nonce);
    byte[] macKey = new byte[32];
    stream.processBytes(new byte[32], 0, 32, macKey, 0);
    stream.processBytes(plain, 0, plain.length, out, NONCE + TAG);
    mac(macKey, out, NONCE + TAG, plain.length, out, NONCE);
    return out;
  }

  @Override
  public byte[] open(byte[] sealed, int offset, byte[] etcdKey) throws GeneralSecurityException {
    int len = sealed.length - offset - NONCE - TAG;
    if (len < 0) throw new GeneralSecurityException("the stored data was shorter than the required size");
    byte[] nonce = java.util.Arrays.copyOfRange(sealed, offset, offset + NONCE);
    XSalsa20Engine stream = stream(nonce);
    byte[] macKey = new byte[32];
    stream.processBytes(new byte[32], 0, 32, macKey, 0);
    byte[] tag = new byte[TAG];
    mac(macKey, sealed, offset + NONCE + TAG, len, tag, 0);
    if (!MessageDigest.isEqual(tag, java.util.Arrays.copyOfRange(sealed, offset + NONCE, offset + NONCE + TAG))) {
      throw new GeneralSecurityException("secretbox: the data does not open with this key (wrong key or changed bytes)");
    }
    byte[] plain = new byte[len];
    stream.processBytes(sealed, offset + NONCE + TAG, len, plain, 0);
    return plain;
  }

  private XSalsa20Engine stream(byte[] nonce) {
    XSalsa20Engine e = new XSalsa20Engine();
    e.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
    return e;
  }

  private static void mac(byte[] macKey, byte[] in, int off, int len, byte[] out, int outOff) {
    Poly1305 p = new Poly1305(); // no block cipher: the 32-byte key is r then s, as NaCl's
    p.init(new KeyParameter(macKey));
    p.update(in, off, len);
    p.doFinal(out, outOff);
  }
}
