package io.keelson.controller.deployment;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.keelson.controller.pod.PodConditions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** How a Deployment finds, names and orders its ReplicaSets. */
public final class ReplicaSets {
  public static final String POD_TEMPLATE_HASH = "pod-template-hash";
  private static final String ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private ReplicaSets() {}

  /** Oldest first; name breaks ties (Kubernetes' ReplicaSetsByCreationTimestamp). */
  static Comparator<ReplicaSet> byCreation() {
    return Comparator.comparing(
            (ReplicaSet rs) -> {
              Instant t = PodConditions.parseTime(rs.getMetadata().getCreationTimestamp());
              return t == null ? Instant.EPOCH : t;
            })
        .thenComparing(rs -> rs.getMetadata().getName());
  }

  /**
   * The pod-template-hash of a template: FNV-1a (32 bit) over its JSON, plus the Deployment's
   * collisionCount when set, encoded with Kubernetes' vowel-free alphabet so it never spells words.
   */
  public static String templateHash(PodTemplateSpec template, Integer collisionCount) {
    int h = 0x811c9dc5;
    byte[] bytes = canonicalJson(template).getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) {
      h ^= (b & 0xff);
      h *= 0x01000193;
    }
    if (collisionCount != null) {
      byte[] c = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(collisionCount).array();
      for (byte b : c) {
        h ^= (b & 0xff);
        h *= 0x01000193;
      }
    }
    String decimal = Long.toString(Integer.toUnsignedLong(h));
    StringBuilder sb = new StringBuilder(decimal.length());
    for (char ch : decimal.toCharArray()) sb.append(ALPHANUMS.charAt(ch % ALPHANUMS.length()));
    return sb.toString();
  }

  /** Template JSON with keys sorted and empty values dropped, so equal templates hash alike. */
  public static String canonicalJson(PodTemplateSpec template) {
    JsonNode tree = JSON.readTree(Serialization.asJson(template));
    return JSON.writeValueAsString(normalize(tree, null));
  }

  /**
   * True when two templates are the same apart from the pod-template-hash label (Kubernetes'
   * EqualIgnoreHash), comparing JSON with empty maps, lists and nulls treated as absent so that
   * defaulting on either side does not make a ReplicaSet look foreign.
   */
  public static boolean equalIgnoringHash(PodTemplateSpec a, PodTemplateSpec b) {
    if (a == null || b == null) return a == b;
    JsonNode x = normalize(JSON.readTree(Serialization.asJson(a)), null);
    JsonNode y = normalize(JSON.readTree(Serialization.asJson(b)), null);
    return x.equals(y);
  }

  /** Drops nulls/empties, the hash label and creationTimestamp; sorts object keys. */
  private static JsonNode normalize(JsonNode n, String parentKey) {
    if (n == null) return null;
    if (n.isObject()) {
      List<String> names = new ArrayList<>();
      for (Iterator<String> it = n.propertyNames().iterator(); it.hasNext(); ) names.add(it.next());
      names.sort(null);
      ObjectNode out = JSON.createObjectNode();
      for (String k : names) {
        if ("labels".equals(parentKey) && POD_TEMPLATE_HASH.equals(k)) continue;
        if ("creationTimestamp".equals(k)) continue;
        JsonNode v = normalize(n.get(k), k);
        if (v == null || v.isNull()) continue;
        if ((v.isObject() || v.isArray()) && v.isEmpty()) continue;
        out.set(k, v);
      }
      return out;
    }
    if (n.isArray()) {
      var out = JSON.createArrayNode();
      for (JsonNode e : n) {
        JsonNode v = normalize(e, null);
        out.add(v == null ? JSON.nullNode() : v);
      }
      return out;
    }
    return n;
  }

  /** A copy of {@code labels} plus pod-template-hash. */
  static Map<String, String> withHash(Map<String, String> labels, String hash) {
    Map<String, String> out = labels == null ? new java.util.HashMap<>() : new java.util.HashMap<>(labels);
    out.put(POD_TEMPLATE_HASH, hash);
    return out;
  }
}
