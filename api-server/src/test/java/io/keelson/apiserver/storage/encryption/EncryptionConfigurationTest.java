package io.keelson.apiserver.storage.encryption;

import static io.keelson.apiserver.storage.encryption.EncryptionAtRestTest.config;
import static io.keelson.apiserver.storage.encryption.EncryptionAtRestTest.provider;
import static io.keelson.apiserver.storage.encryption.EncryptionAtRestTest.secret;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A bad EncryptionConfiguration is refused with one line naming the field and what to fix. */
class EncryptionConfigurationTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      aescbc-16 | resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]
      secretbox-16 | resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16
      aesgcm-20 | resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 20, expected one of [16, 24, 32]
      unknown | resources[0].providers[0]: Invalid value: "aesctr": unknown provider
      kms | resources[0].providers[0].kms: Invalid value: "": KMS providers are not supported
      two | more than one provider specified in a single element
      no-resources | resources: Required value
      no-names | resources[0].resources: Required value
      no-providers | resources[0].providers: Required value
      no-keys | resources[0].providers[0].aescbc.keys: Required value
      no-name | resources[0].providers[0].aescbc.keys[0].name: Required value
      not-base64 | resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not base64
      star | resources[0].resources[0]: Invalid value: "*": use '*.' to encrypt all the resources from core API group
      wrong-kind | kind/apiVersion: expected kind EncryptionConfiguration
      """)
  void refusesWithTheField(String what, String message) {
    String head = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n";
    String yaml = switch (what) {
      case "aescbc-16" -> config(provider("aescbc", "k=" + secret(16, 1)));
      case "secretbox-16" -> config(provider("secretbox", "k=" + secret(16, 1)));
      case "aesgcm-20" -> config(provider("aesgcm", "k=" + secret(20, 1)));
      case "unknown" -> config("  - aesctr: {keys: [{name: k, secret: " + secret(32, 1) + "}]}\n");
      case "kms" -> config("  - kms: {name: vault, endpoint: unix:///tmp/kms.sock}\n");
      case "two" -> config("  - identity: {}\n    aescbc: {keys: [{name: k, secret: " + secret(32, 1) + "}]}\n");
      case "no-resources" -> head + "resources: []\n";
      case "no-names" -> head + "resources:\n- providers: [{identity: {}}]\n";
      case "no-providers" -> head + "resources:\n- resources: [secrets]\n";
      case "no-keys" -> config("  - aescbc: {}\n");
      case "no-name" -> config("  - aescbc: {keys: [{secret: " + secret(32, 1) + "}]}\n");
      case "not-base64" -> config("  - aescbc: {keys: [{name: k, secret: 'not base64!'}]}\n");
      case "star" -> head + "resources:\n- resources: ['*']\n  providers: [{identity: {}}]\n";
      case "wrong-kind" -> "apiVersion: v1\nkind: EncryptionConfig\nresources: []\n";
      default -> throw new IllegalArgumentException(what);
    };
    assertThatThrownBy(() -> EncryptionConfiguration.parse(yaml)).isInstanceOf(InvalidEncryptionConfigException.class)
        .hasMessageStartingWith(message.startsWith("more") ? "resources[0].providers[0]: Invalid value:" : message)
        .hasMessageContaining(message)
        .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).doesNotContain("\n"));
  }
}
