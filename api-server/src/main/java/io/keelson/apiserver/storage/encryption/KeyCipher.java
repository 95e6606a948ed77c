package io.keelson.apiserver.storage.encryption;

import java.security.GeneralSecurityException;

/**
 * One provider's sealing of a stored value with one key, in kube-apiserver's byte layout (so an
 * etcd written by either reads the same): what follows {@code k8s:enc:<provider>:v1:<key>:}.
 */
interface KeyCipher {

  /** The sealed bytes of {@code plain}; {@code etcdKey} is authenticated by the ciphers that can (aesgcm). */
  byte[] seal(byte[] plain, byte[] etcdKey) throws GeneralSecurityException;

  /** The plain bytes; throws when the key is wrong or the bytes were changed (as far as the cipher can tell). */
  byte[] open(byte[] sealed, int offset, byte[] etcdKey) throws GeneralSecurityException;
}
