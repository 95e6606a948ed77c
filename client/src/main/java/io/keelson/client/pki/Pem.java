package io.keelson.client.pki;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/** PEM files of keys and certificates, as the cluster keeps them under {@code DIR/tls}. */
public final class Pem {
  private Pem() {}

  /** PEM text for a certificate, a public key or a private key (as PKCS#8 "PRIVATE KEY": what Tomcat, curl and Go clients all read). */
  public static String of(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o instanceof PrivateKey k ? new JcaPKCS8Generator(k, null) : o);
    }
    return out.toString();
  }

  /** The private key in a PEM file (PKCS#8, or a PKCS#1/SEC1 key pair); IOException saying which file holds none. */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    try (PEMParser keys = new PEMParser(Files.newBufferedReader(file))) {
      Object k = keys.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      if (k instanceof PEMKeyPair pair) return conv.getKeyPair(pair).getPrivate();
      if (k instanceof PrivateKeyInfo info) return conv.getPrivateKey(info);
      throw new IOException(file + " holds no PEM private key");
    }
  }
}
