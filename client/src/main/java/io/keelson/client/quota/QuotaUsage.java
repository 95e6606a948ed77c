package io.keelson.client.quota;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * What an object charges a ResourceQuota, as kube's quota evaluators count it: {@code count/<resource>}
 * for every kind, the legacy object counts ({@code pods}, {@code services}, ...), the compute
 * resources of pods that are still running or may run, the node ports and load balancers of
 * Services and the storage of PersistentVolumeClaims; and which quotas an object falls under
 * (scopes). The api-server's admission charges it on create (and its growth on the updates kube
 * charges), the controller-manager's quota controller sums it over the namespace: both count the
 * same way.
 */
public final class QuotaUsage {

  /** The object counts kube tracks under their bare plural (core group only). */
  private static final Set<String> LEGACY_COUNTS =
      Set.of("pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims");
  /** What a quota on cpu or memory makes every container state (kube's pod evaluator's validation set). */
  private static final Set<String> MUST_SPECIFY =
      Set.of("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory");
  private static final String STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/";

  private QuotaUsage() {}

  /** The quota key that counts objects of {@code group}/{@code resource}: count/pods, count/deployments.apps. */
  public static String countKey(String group, String resource) {
    return "count/" + (group.isEmpty() ? resource : resource + "." + group);
  }

  /**
   * What {@code obj}, a {@code group}/{@code resource} (plural), charges at {@code now}. Pods that
   * ended (Succeeded, Failed) or are past their deletion grace still count in count/pods only.
   */
  public static Map<String, BigDecimal> of(String group, String resource, JsonNode obj, Instant now) {
    Map<String, BigDecimal> u = new TreeMap<>();
    u.put(countKey(group, resource), BigDecimal.ONE);
    if (!group.isEmpty()) return u;
    switch (resource) {
      case "pods" -> {
        if (charged(obj, now)) pod(obj.path("spec"), u);
      }
      case "services" -> {
        u.put("services", BigDecimal.ONE);
        String type = obj.path("spec").path("type").asString("ClusterIP");
        int ports = obj.path("spec").path("ports").size();
        if (type.equals("NodePort")) u.put("services.nodeports", BigDecimal.valueOf(ports));
        if (type.equals("LoadBalancer")) {
          u.put("services.loadbalancers", BigDecimal.ONE);
          if (obj.path("spec").path("allocateLoadBalancerNodePorts").asBoolean(true)) {
            u.put("services.nodeports", BigDecimal.valueOf(ports));
          }
        }
      }
      case "persistentvolumeclaims" -> {
        u.put("persistentvolumeclaims", BigDecimal.ONE);
        BigDecimal storage = QuotaQuantities.value(obj.path("spec").path("resources").path("requests").get("storage"));
        u.put("requests.storage", storage);
        String sc = obj.path("spec").path("storageClassName").asString("");
        if (!sc.isEmpty()) {
          u.put(sc + STORAGE_CLASS_SUFFIX + "persistentvolumeclaims", BigDecimal.ONE);
          u.put(sc + STORAGE_CLASS_SUFFIX + "requests.storage", storage);
        }
      }
      default -> {
        if (LEGACY_COUNTS.contains(resource)) u.put(resource, BigDecimal.ONE);
      }
    }
    return u;
  }

  /**
   * Whether an update of a {@code group}/{@code resource} is charged, as kube 1.32's evaluators'
   * Handles say: a Service's type may change (node ports, load balancers) and a claim may grow
   * (requests.storage); pods are charged on create only (in-place resize is off), and object
   * counts do not change on update.
   */
  public static boolean chargesUpdates(String group, String resource) {
    return group.isEmpty() && (resource.equals("services") || resource.equals("persistentvolumeclaims"));
  }

  /**
   * What an update from {@code old} to {@code updated} charges: the growth of each resource, kube's
   * SubtractWithNonNegativeResult without the zeros. What shrinks is not given back here: the quota
   * controller's recount does that.
   */
  public static Map<String, BigDecimal> growth(String group, String resource, JsonNode old, JsonNode updated, Instant now) {
    Map<String, BigDecimal> before = of(group, resource, old, now);
    Map<String, BigDecimal> grown = new TreeMap<>();
    of(group, resource, updated, now).forEach((r, v) -> {
      BigDecimal delta = v.subtract(before.getOrDefault(r, BigDecimal.ZERO));
      if (delta.signum() > 0) grown.put(r, delta);
    });
    return grown;
  }

  /**
   * Whether a quota resource counts objects of {@code group}/{@code resource}, whatever one object
   * uses (kube's MatchingResources: a quota on requests.cpu concerns every pod, even one without
   * requests, which it then refuses).
   */
  public static boolean tracks(String group, String resource, String quotaResource) {
    if (quotaResource.equals(countKey(group, resource))) return true;
    if (!group.isEmpty()) return false;
    return switch (resource) {
      case "pods" -> quotaResource.equals("pods") || quotaResource.equals("cpu") || quotaResource.equals("memory")
          || quotaResource.equals("ephemeral-storage") || quotaResource.startsWith("requests.") && !quotaResource.equals("requests.storage")
          || quotaResource.startsWith("limits.");
      case "services" -> quotaResource.equals("services") || quotaResource.startsWith("services.");
      case "persistentvolumeclaims" -> quotaResource.equals("persistentvolumeclaims") || quotaResource.equals("requests.storage")
          || quotaResource.contains(STORAGE_CLASS_SUFFIX);
      default -> LEGACY_COUNTS.contains(resource) && quotaResource.equals(resource);
    };
  }

  /**
   * The kind whose objects a quota resource counts, as "group/plural" ("/pods" for requests.cpu,
   * "apps/deployments" for count/deployments.apps): the inverse of {@link #tracks}.
   */
  public static String countedKind(String quotaResource) {
    if (quotaResource.startsWith("count/")) {
      String what = quotaResource.substring("count/".length());
      int dot = what.indexOf('.');
      return dot < 0 ? "/" + what : what.substring(dot + 1) + "/" + what.substring(0, dot);
    }
    if (quotaResource.startsWith("services")) return "/services";
    if (tracks("", "persistentvolumeclaims", quotaResource)) return "/persistentvolumeclaims";
    if (LEGACY_COUNTS.contains(quotaResource)) return "/" + quotaResource;
    return "/pods"; // pods, cpu, memory, requests.*, limits.*
  }

  /** kube's QuotaV1Pod: a pod that ended, or is stuck terminating past its grace, is not charged. */
  public static boolean charged(JsonNode pod, Instant now) {
    String phase = pod.path("status").path("phase").asString("");
    if (phase.equals("Succeeded") || phase.equals("Failed")) return false;
    JsonNode md = pod.path("metadata");
    if (md.hasNonNull("deletionTimestamp") && md.hasNonNull("deletionGracePeriodSeconds")) {
      try {
        Instant deadline = Instant.parse(md.get("deletionTimestamp").asString()).plusSeconds(md.get("deletionGracePeriodSeconds").asLong());
        if (now.isAfter(deadline)) return false;
      } catch (DateTimeParseException ignored) {
        // unreadable timestamp: keep charging
      }
    }
    return true;
  }

  private static void pod(JsonNode spec, Map<String, BigDecimal> u) {
    u.put("pods", BigDecimal.ONE);
    Map<String, BigDecimal> requests = podTotal(spec, "requests");
    Map<String, BigDecimal> limits = podTotal(spec, "limits");
    requests.forEach((r, v) -> {
      u.put("requests." + r, v);
      if (r.equals("cpu") || r.equals("memory") || r.equals("ephemeral-storage")) u.put(r, v);
    });
    limits.forEach((r, v) -> u.put("limits." + r, v));
  }

  /**
   * A pod's requests (or limits) as the scheduler sees them: the sum over its containers or the
   * largest init container, whichever is more, plus the RuntimeClass overhead.
   */
  public static Map<String, BigDecimal> podTotal(JsonNode spec, String which) {
    Map<String, BigDecimal> sum = new TreeMap<>();
    for (JsonNode c : spec.path("containers")) sum = QuotaQuantities.add(sum, QuotaQuantities.values(c.path("resources").path(which)));
    for (JsonNode c : spec.path("initContainers")) {
      for (Map.Entry<String, BigDecimal> e : QuotaQuantities.values(c.path("resources").path(which)).entrySet()) {
        sum.merge(e.getKey(), e.getValue(), BigDecimal::max);
      }
    }
    if (!sum.isEmpty()) sum = QuotaQuantities.add(sum, QuotaQuantities.values(spec.path("overhead")));
    return sum;
  }

  /**
   * Whether {@code quota}'s scopes (spec.scopes and spec.scopeSelector) take in {@code obj}. Scopes
   * are about pods: a quota with any scope takes in no other kind.
   */
  public static boolean inScope(JsonNode quota, String group, String resource, JsonNode obj) {
    List<String[]> requirements = new ArrayList<>(); // scope, operator, values (comma-joined)
    for (JsonNode s : quota.path("spec").path("scopes")) requirements.add(new String[] {s.asString(""), "Exists", ""});
    for (JsonNode e : quota.path("spec").path("scopeSelector").path("matchExpressions")) {
      List<String> values = new ArrayList<>();
      for (JsonNode v : e.path("values")) values.add(v.asString(""));
      requirements.add(new String[] {e.path("scopeName").asString(""), e.path("operator").asString(""), String.join("\n", values)});
    }
    if (requirements.isEmpty()) return true;
    if (!group.isEmpty() || !resource.equals("pods")) return false;
    JsonNode spec = obj.path("spec");
    for (String[] r : requirements) {
      boolean match = switch (r[0]) {
        case "Terminating" -> spec.hasNonNull("activeDeadlineSeconds") && spec.get("activeDeadlineSeconds").asLong() >= 0;
        case "NotTerminating" -> !spec.hasNonNull("activeDeadlineSeconds");
        case "BestEffort" -> bestEffort(spec);
        case "NotBestEffort" -> !bestEffort(spec);
        case "CrossNamespacePodAffinity" -> crossNamespaceAffinity(spec);
        case "PriorityClass" -> {
          List<String> values = r[2].isEmpty() ? List.of() : List.of(r[2].split("\n"));
          String pc = spec.path("priorityClassName").asString("");
          yield switch (r[1]) {
            case "In" -> values.contains(pc);
            case "NotIn" -> !values.contains(pc);
            case "DoesNotExist" -> false;
            default -> true; // Exists: kube matches the class name as a label that is always there
          };
        }
        default -> false;
      };
      if (!match) return false;
    }
    return true;
  }

  private static boolean bestEffort(JsonNode spec) {
    for (String list : new String[] {"containers", "initContainers"}) {
      for (JsonNode c : spec.path(list)) {
        if (c.path("resources").path("requests").size() > 0 || c.path("resources").path("limits").size() > 0) return false;
      }
    }
    return true;
  }

  private static boolean crossNamespaceAffinity(JsonNode spec) {
    for (String kind : new String[] {"podAffinity", "podAntiAffinity"}) {
      JsonNode a = spec.path("affinity").path(kind);
      List<JsonNode> terms = new ArrayList<>();
      a.path("requiredDuringSchedulingIgnoredDuringExecution").forEach(terms::add);
      a.path("preferredDuringSchedulingIgnoredDuringExecution").forEach(t -> terms.add(t.path("podAffinityTerm")));
      for (JsonNode t : terms) if (t.path("namespaces").size() > 0 || t.has("namespaceSelector")) return true;
    }
    return false;
  }

  /**
   * kube's pod evaluator constraint: when a quota limits cpu or memory, every container must state
   * it. The message's detail ({@code requests.cpu for: web}), or null when nothing is missing.
   */
  public static String missing(Collection<String> hard, JsonNode pod) {
    Map<String, Set<String>> missing = new TreeMap<>();
    for (String list : new String[] {"initContainers", "containers"}) {
      for (JsonNode c : pod.path("spec").path(list)) {
        JsonNode res = c.path("resources");
        for (String h : hard) {
          if (!MUST_SPECIFY.contains(h)) continue;
          String r = h.contains(".") ? h.substring(h.indexOf('.') + 1) : h;
          boolean stated = h.startsWith("limits.") ? res.path("limits").has(r) : res.path("requests").has(r);
          if (!stated) missing.computeIfAbsent(h, k -> new TreeSet<>()).add(c.path("name").asString(""));
        }
      }
    }
    if (missing.isEmpty()) return null;
    List<String> parts = new ArrayList<>();
    missing.forEach((r, names) -> parts.add(r + " for: " + String.join(",", names)));
    return String.join("; ", parts);
  }
}
