package io.keelson.apiserver.storage.encryption;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Parses kube's {@code apiserver.config.k8s.io/v1 EncryptionConfiguration} and checks it as
 * kube-apiserver does at start: every problem is reported with its field path
 * ({@code resources[0].providers[1].aescbc.keys[0].secret}), so a bad file stops the server with
 * one line saying what to fix.
 */
final class EncryptionConfiguration {

  private static final YAMLMapper YAML = YAMLMapper.builder().build();

  /** Each provider: the key sizes it takes (bytes) and how it seals. */
  private record Kind(Set<Integer> keySizes, Function<byte[], KeyCipher> cipher) {}

  private static final Map<String, Kind> KINDS = Map.of(
      "aescbc", new Kind(Set.of(32), AesCbc::new),
      "aesgcm", new Kind(Set.of(16, 24, 32), AesGcm::new),
      "secretbox", new Kind(Set.of(32), SecretBox::new));

  private EncryptionConfiguration() {}

  static EncryptionAtRest parse(String yaml) throws InvalidEncryptionConfigException {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JacksonException e) {
      throw new InvalidEncryptionConfigException("not YAML: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) throw new InvalidEncryptionConfigException("not an EncryptionConfiguration object");
    if (!"EncryptionConfiguration".equals(root.path("kind").asString(""))
        || !"apiserver.config.k8s.io/v1".equals(root.path("apiVersion").asString(""))) {
      throw new InvalidEncryptionConfigException("kind/apiVersion: expected kind EncryptionConfiguration, apiVersion"
          + " apiserver.config.k8s.io/v1; got kind \"" + root.path("kind").asString("") + "\", apiVersion \""
          + root.path("apiVersion").asString("") + "\"");
    }
    JsonNode resources = root.path("resources");
    if (!resources.isArray() || resources.isEmpty()) throw required("resources", "list at least one entry of resources and their providers");
    List<EncryptionAtRest.Rule> rules = new ArrayList<>();
    Set<String> named = new HashSet<>();
    for (int i = 0; i < resources.size(); i++) {
      String at = "resources[" + i + "]";
      JsonNode entry = resources.get(i);
      JsonNode names = entry.path("resources");
      if (!names.isArray() || names.isEmpty()) throw required(at + ".resources", "list the resources to encrypt, e.g. [secrets]");
      JsonNode providers = entry.path("providers");
      if (!providers.isArray() || providers.isEmpty()) {
        throw required(at + ".providers", "list the providers, e.g. [{aescbc: {keys: [{name: key1, secret: <base64 of 32 bytes>}]}}, {identity: {}}]");
      }
      List<Provider> ps = new ArrayList<>();
      for (int j = 0; j < providers.size(); j++) ps.add(provider(at + ".providers[" + j + "]", providers.get(j)));
      ResourceEncryption enc = new ResourceEncryption(ps);
      for (int k = 0; k < names.size(); k++) {
        String field = at + ".resources[" + k + "]";
        String name = names.get(k).asString("");
        String prefix = keyPrefix(field, name);
        if (!named.add(name)) throw invalid(field, name, "listed twice; a resource has one list of providers");
        rules.add(new EncryptionAtRest.Rule(prefix, enc));
      }
    }
    return new EncryptionAtRest(rules);
  }

  /**
   * The etcd key prefix of a resource as the config names it: {@code secrets} (core),
   * {@code deployments.apps}, {@code *.} (all of core), {@code *.apps}, {@code *.*} (everything).
   */
  private static String keyPrefix(String field, String name) throws InvalidEncryptionConfigException {
    if (name.isEmpty()) throw required(field, "name a resource, e.g. secrets");
    if (name.equals("*")) throw invalid(field, name, "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources");
    if (!name.equals(name.toLowerCase(java.util.Locale.ROOT))) throw invalid(field, name, "resource names must be lower-case");
    int dot = name.indexOf('.');
    String resource = dot < 0 ? name : name.substring(0, dot);
    String group = dot < 0 ? "" : name.substring(dot + 1);
    if (name.equals("*.*")) return "/registry/";
    if (group.contains("*")) throw invalid(field, name, "a group cannot be a wildcard unless the resource is too (*.*)");
    if (resource.contains("*") && !resource.equals("*")) throw invalid(field, name, "a wildcard stands for every resource of a group: *.GROUP");
    String g = group.isEmpty() ? "core" : group;
    return resource.equals("*") ? "/registry/" + g + "/" : "/registry/" + g + "/" + resource + "/";
  }

  private static Provider provider(String at, JsonNode p) throws InvalidEncryptionConfigException {
    if (!p.isObject() || p.isEmpty()) throw invalid(at, "", "name one provider: aescbc, aesgcm, secretbox or identity");
    if (p.size() > 1) {
      throw invalid(at, String.join(", ", p.propertyNames()),
          "more than one provider specified in a single element, should split into different list elements");
    }
    String kind = p.propertyNames().iterator().next();
    JsonNode body = p.get(kind);
    if (kind.equals("identity")) return Provider.identity();
    if (kind.equals("kms")) throw invalid(at + ".kms", "", "KMS providers are not supported by Keelson; use aescbc, aesgcm or secretbox");
    Kind k = KINDS.get(kind);
    if (k == null) throw invalid(at, kind, "unknown provider; use aescbc, aesgcm, secretbox or identity");
    JsonNode keys = body == null ? null : body.path("keys");
    if (keys == null || !keys.isArray() || keys.isEmpty()) throw required(at + "." + kind + ".keys", "list at least one key: {name: key1, secret: <base64>}");
    List<Provider.Key> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < keys.size(); i++) {
      String f = at + "." + kind + ".keys[" + i + "]";
      String name = keys.get(i).path("name").asString("");
      if (name.isEmpty()) throw required(f + ".name", "name the key (it is written before each value it encrypts)");
      if (name.contains(":")) throw invalid(f + ".name", name, "a key name cannot contain ':'");
      if (!names.add(name)) throw invalid(f + ".name", name, "key names must be unique within a provider");
      String secret = keys.get(i).path("secret").asString("");
      if (secret.isEmpty()) throw required(f + ".secret", "give the key as base64, e.g. $(head -c 32 /dev/urandom | base64)");
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(secret.trim());
      } catch (IllegalArgumentException e) {
        throw invalid(f + ".secret", "REDACTED", "secret is not base64: " + e.getMessage());
      }
      if (!k.keySizes().contains(raw.length)) {
        throw invalid(f + ".secret", "REDACTED", "secret is not of the expected length, got " + raw.length
            + ", expected one of " + new java.util.TreeSet<>(k.keySizes()) + " (bytes, before base64)");
      }
      out.add(Provider.key(kind, name, k.cipher().apply(raw)));
    }
    return new Provider(kind, List.copyOf(out));
  }

  private static InvalidEncryptionConfigException required(String field, String hint) {
    return new InvalidEncryptionConfigException(field + ": Required value: " + hint);
  }

  private static InvalidEncryptionConfigException invalid(String field, String value, String why) {
    return new InvalidEncryptionConfigException(field + ": Invalid value: \"" + value + "\": " + why);
  }
}
