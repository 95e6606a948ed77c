package io.keelson.apiserver.storage.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** kube's envelope for values at rest: round trips, key rotation, wrong keys and altered bytes. */
class EncryptionAtRestTest {

  private static final String KEY = "/registry/core/secrets/default/s1";
  private static final byte[] PLAIN = "{\"kind\":\"Secret\",\"data\":{\"password\":\"aHVudGVyMg==\"}}".getBytes(StandardCharsets.UTF_8);

  static String secret(int bytes, int fill) {
    byte[] b = new byte[bytes];
    java.util.Arrays.fill(b, (byte) fill);
    return Base64.getEncoder().encodeToString(b);
  }

  static String config(String providers) {
    return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n"
        + providers;
  }

  static String provider(String kind, String... keys) {
    StringBuilder s = new StringBuilder("  - " + kind + ":\n      keys:\n");
    for (String k : keys) s.append("      - {name: ").append(k.split("=")[0]).append(", secret: ").append(k.split("=")[1]).append("}\n");
    return s.toString();
  }

  static EncryptionAtRest.Transformer at(String yaml, String key) throws Exception {
    return EncryptionConfiguration.parse(yaml).forKey(key);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aescbc", "aesgcm", "secretbox"})
  void roundTripsBehindKubesEnvelope(String kind) throws Exception {
    EncryptionAtRest.Transformer t = at(config(provider(kind, "key1=" + secret(32, 1))), KEY);
    byte[] stored = t.toStorage(PLAIN);
    String text = new String(stored, StandardCharsets.ISO_8859_1);
    assertThat(text).startsWith("k8s:enc:" + kind + ":v1:key1:").doesNotContain("password").doesNotContain("aHVudGVyMg");
    assertThat(t.fromStorage(stored)).isEqualTo(PLAIN);
    assertThat(t.toStorage(PLAIN)).as("a fresh IV/nonce each write").isNotEqualTo(stored);
  }

  @Test
  void otherResourcesAreStoredAsTheyAre() throws Exception {
    EncryptionAtRest enc = EncryptionConfiguration.parse(config(provider("aescbc", "key1=" + secret(32, 1))));
    assertThat(enc.forKey("/registry/core/configmaps/default/c")).isNull();
    assertThat(enc.forKey("/registry/apps/secrets/default/c")).as("secrets of another group").isNull();
  }

  @Test
  void wildcardsNameAGroupOrEverything() throws Exception {
    String yaml = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        + "- resources: [deployments.apps, '*.']\n  providers:\n" + provider("aesgcm", "k=" + secret(16, 2));
    EncryptionAtRest enc = EncryptionConfiguration.parse(yaml);
    assertThat(enc.forKey("/registry/apps/deployments/d/x")).isNotNull();
    assertThat(enc.forKey("/registry/core/configmaps/d/x")).isNotNull();
    assertThat(enc.forKey("/registry/apps/statefulsets/d/x")).isNull();
  }

  @Test
  void rotationReadsOldKeysAndWritesWithTheFirst() throws Exception {
    String k1 = "key1=" + secret(32, 1);
    String k2 = "key2=" + secret(32, 2);
    byte[] old = at(config(provider("aescbc", k1)), KEY).toStorage(PLAIN);
    EncryptionAtRest.Transformer both = at(config(provider("aescbc", k2, k1)), KEY);
    assertThat(both.fromStorage(old)).isEqualTo(PLAIN);
    byte[] rewritten = both.toStorage(PLAIN);
    assertThat(new String(rewritten, StandardCharsets.ISO_8859_1)).startsWith("k8s:enc:aescbc:v1:key2:");
    // an update rewrites what the first key did not seal, even unchanged (kube's "stale" read)
    assertThat(both.isStale(old)).isTrue();
    assertThat(both.isStale(rewritten)).isFalse();
    assertThat(both.isStale(PLAIN)).isTrue();
    // the old key dropped: what it wrote no longer reads, and the message names it
    EncryptionAtRest.Transformer onlyNew = at(config(provider("aescbc", k2)), KEY);
    assertThat(onlyNew.fromStorage(rewritten)).isEqualTo(PLAIN);
    assertThatThrownBy(() -> onlyNew.fromStorage(old)).isInstanceOf(UnreadableValueException.class)
        .hasMessageContaining("aescbc key \"key1\"").hasMessageContaining("no longer lists");
  }

  @Test
  void aProviderNotListedIsNamed() throws Exception {
    byte[] gcm = at(config(provider("aesgcm", "key1=" + secret(32, 1))), KEY).toStorage(PLAIN);
    assertThatThrownBy(() -> at(config(provider("aescbc", "key1=" + secret(32, 1))), KEY).fromStorage(gcm))
        .hasMessageContaining("provider aesgcm");
  }

  @Test
  void plaintextReadsOnlyWhenIdentityIsListed() throws Exception {
    assertThat(at(config(provider("aescbc", "key1=" + secret(32, 1)) + "  - identity: {}\n"), KEY).fromStorage(PLAIN)).isEqualTo(PLAIN);
    assertThatThrownBy(() -> at(config(provider("aescbc", "key1=" + secret(32, 1))), KEY).fromStorage(PLAIN))
        .hasMessageContaining("identity");
    // identity first: writes stay plain (how encryption is turned off), encrypted values still read
    byte[] sealed = at(config(provider("aescbc", "key1=" + secret(32, 1))), KEY).toStorage(PLAIN);
    EncryptionAtRest.Transformer off = at(config("  - identity: {}\n" + provider("aescbc", "key1=" + secret(32, 1))), KEY);
    assertThat(off.toStorage(PLAIN)).isSameAs(PLAIN);
    assertThat(off.fromStorage(sealed)).isEqualTo(PLAIN);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aesgcm", "secretbox"})
  void alteredBytesOrAnotherSecretFailInsteadOfReturningGarbage(String kind) throws Exception {
    EncryptionAtRest.Transformer t = at(config(provider(kind, "key1=" + secret(32, 1))), KEY);
    byte[] stored = t.toStorage(PLAIN);
    for (int i : new int[] {("k8s:enc:" + kind + ":v1:key1:").length() + 1, stored.length / 2, stored.length - 1}) {
      byte[] tampered = stored.clone();
      tampered[i] ^= 1;
      assertThatThrownBy(() -> t.fromStorage(tampered)).isInstanceOf(UnreadableValueException.class)
          .hasMessageContaining(kind + " key \"key1\" does not decrypt it");
    }
    EncryptionAtRest.Transformer otherSecret = at(config(provider(kind, "key1=" + secret(32, 9))), KEY);
    assertThatThrownBy(() -> otherSecret.fromStorage(stored)).isInstanceOf(UnreadableValueException.class);
  }

  @Test
  void aesgcmBindsTheValueToItsKey() throws Exception {
    String yaml = config(provider("aesgcm", "key1=" + secret(32, 1)));
    byte[] stored = at(yaml, KEY).toStorage(PLAIN);
    assertThatThrownBy(() -> at(yaml, "/registry/core/secrets/default/s2").fromStorage(stored)).isInstanceOf(UnreadableValueException.class);
  }

  @Test
  void aescbcWithAnotherSecretNeverYieldsThePlaintext() throws Exception {
    byte[] stored = at(config(provider("aescbc", "key1=" + secret(32, 1))), KEY).toStorage(PLAIN);
    EncryptionAtRest.Transformer other = at(config(provider("aescbc", "key1=" + secret(32, 9))), KEY);
    // CBC is not authenticated: the padding check catches a wrong key almost always; never the plaintext
    try {
      assertThat(other.fromStorage(stored)).isNotEqualTo(PLAIN);
    } catch (UnreadableValueException e) {
      assertThat(e).hasMessageContaining("aescbc key \"key1\" does not decrypt it");
    }
  }

  @Test
  void secretboxMatchesNaclsTestVector() throws Exception {
    // NaCl's tests/secretbox.c: key, nonce, message; the box starts with the Poly1305 tag, then the ciphertext
    SecretBox box = new SecretBox(hex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389"));
    byte[] nonce = hex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
    byte[] msg = hex("be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c6129"
        + "6cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705");
    byte[] sealed = box.sealWithNonce(msg, nonce);
    assertThat(java.util.Arrays.copyOfRange(sealed, 24, 24 + 48))
        .isEqualTo(hex("f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186a"));
    assertThat(box.open(sealed, 0, new byte[0])).isEqualTo(msg);
  }

  private static byte[] hex(String s) {
    return java.util.HexFormat.of().parseHex(s);
  }
}
