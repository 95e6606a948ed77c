package io.keelson.apiserver.quota;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.client.quota.QuotaQuantities;
import io.keelson.client.quota.QuotaUsage;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * kube's LimitRanger admission for pods: the namespace's LimitRanges give containers that state no
 * requests or limits their defaults, then bound each container (type Container) and the whole pod
 * (type Pod) by min, max and maxLimitRequestRatio. A pod out of bounds is refused with 403.
 */
public final class LimitRanger {

  static final String ANNOTATION = "kubernetes.io/limit-ranger";
  private static final ResourceType LIMIT_RANGES = ResourceRegistry.find("", "v1", "limitranges").orElseThrow();

  private LimitRanger() {}

  /** The namespace's LimitRanges (one created just before is not missed). */
  static List<ObjectNode> limitRanges(ResourceService svc, String namespace) {
    return svc.namespaceObjectsForAdmission(LIMIT_RANGES, namespace);
  }

  /** Defaults then checks {@code pod} (a create) against the LimitRanges of its namespace. */
  public static void admitPod(ResourceService svc, ResourceType podType, ObjectNode pod) {
    List<ObjectNode> ranges = limitRanges(svc, pod.path("metadata").path("namespace").asString(""));
    if (ranges.isEmpty()) return;
    List<JsonNode> items = new ArrayList<>();
    for (ObjectNode lr : ranges) lr.path("spec").path("limits").forEach(items::add);
    applyDefaults(pod, items);
    List<String> errors = new ArrayList<>();
    for (JsonNode item : items) {
      String type = item.path("type").asString("");
      if (type.equals("Container")) {
        for (String list : new String[] {"initContainers", "containers"}) {
          for (JsonNode c : pod.path("spec").path(list)) {
            check(item, "Container", c.path("resources").path("requests"), c.path("resources").path("limits"), errors);
          }
        }
      } else if (type.equals("Pod")) {
        check(item, "Pod", asList(QuotaUsage.podTotal(pod.path("spec"), "requests")),
            asList(QuotaUsage.podTotal(pod.path("spec"), "limits")), errors);
      }
    }
    if (!errors.isEmpty()) {
      throw StatusException.forbidden(podType, pod.path("metadata").path("name").asString(""), StatusException.aggregate(errors));
    }
  }

  /**
   * Checks a PersistentVolumeClaim (a create) against the PersistentVolumeClaim limits of its
   * namespace's LimitRanges: its storage request within min and max.
   */
  public static void admitClaim(ResourceService svc, ResourceType claimType, ObjectNode claim) {
    List<JsonNode> items = new ArrayList<>();
    for (ObjectNode lr : limitRanges(svc, claim.path("metadata").path("namespace").asString(""))) lr.path("spec").path("limits").forEach(items::add);
    List<String> errors = claimErrors(items, claim);
    if (!errors.isEmpty()) {
      throw StatusException.forbidden(claimType, claim.path("metadata").path("name").asString(""), StatusException.aggregate(errors));
    }
  }

  /** What the PersistentVolumeClaim limits among {@code items} find wrong with {@code claim}. */
  static List<String> claimErrors(List<JsonNode> items, JsonNode claim) {
    List<String> errors = new ArrayList<>();
    JsonNode requests = claim.path("spec").path("resources").path("requests");
    JsonNode limits = claim.path("spec").path("resources").path("limits");
    for (JsonNode item : items) {
      if (!item.path("type").asString("").equals("PersistentVolumeClaim")) continue;
      // min as for containers; max bounds the request (kube's maxRequestConstraint): a claim need not state a limit
      ObjectNode minOnly = ((ObjectNode) item).deepCopy();
      minOnly.remove("max");
      minOnly.remove("maxLimitRequestRatio");
      check(minOnly, "PersistentVolumeClaim", requests, limits, errors);
      item.path("max").properties().forEach(e -> {
        if (requests.has(e.getKey()) && QuotaQuantities.value(requests.get(e.getKey())).compareTo(QuotaQuantities.value(e.getValue())) > 0) {
          errors.add("maximum " + e.getKey() + " usage per PersistentVolumeClaim is " + text(e.getValue()) + ", but request is "
              + text(requests.get(e.getKey())));
        }
      });
    }
    return errors;
  }

  private static JsonNode asList(Map<String, BigDecimal> values) {
    ObjectNode o = tools.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    values.forEach((r, v) -> o.put(r, QuotaQuantities.format(r, v)));
    return o;
  }

  /** Container defaults: a missing limit from {@code default}, a missing request from {@code defaultRequest}. */
  static void applyDefaults(ObjectNode pod, List<JsonNode> items) {
    Map<String, JsonNode> limits = new LinkedHashMap<>();
    Map<String, JsonNode> requests = new LinkedHashMap<>();
    for (JsonNode item : items) {
      if (!item.path("type").asString("").equals("Container")) continue;
      item.path("default").properties().forEach(e -> limits.putIfAbsent(e.getKey(), e.getValue()));
      item.path("defaultRequest").properties().forEach(e -> requests.putIfAbsent(e.getKey(), e.getValue()));
    }
    if (limits.isEmpty() && requests.isEmpty()) return;
    List<String> notes = new ArrayList<>();
    for (String list : new String[] {"initContainers", "containers"}) {
      for (JsonNode node : pod.path("spec").path(list)) {
        if (!(node instanceof ObjectNode c)) continue;
        ObjectNode res = c.get("resources") instanceof ObjectNode r ? r : c.putObject("resources");
        TreeSet<String> setRequests = fill(res, "requests", requests);
        TreeSet<String> setLimits = fill(res, "limits", limits);
        String name = c.path("name").asString("");
        if (!setRequests.isEmpty()) notes.add(String.join(", ", setRequests) + " request for " + list(list) + " " + name);
        if (!setLimits.isEmpty()) notes.add(String.join(", ", setLimits) + " limit for " + list(list) + " " + name);
      }
    }
    if (!notes.isEmpty()) {
      ObjectNode md = (ObjectNode) pod.get("metadata");
      ObjectNode annotations = md.get("annotations") instanceof ObjectNode a ? a : md.putObject("annotations");
      annotations.put(ANNOTATION, "LimitRanger plugin set: " + String.join("; ", notes));
    }
  }

  private static String list(String field) {
    return field.equals("initContainers") ? "init container" : "container";
  }

  private static TreeSet<String> fill(ObjectNode resources, String field, Map<String, JsonNode> defaults) {
    TreeSet<String> set = new TreeSet<>();
    if (defaults.isEmpty()) return set;
    ObjectNode list = resources.get(field) instanceof ObjectNode l ? l : resources.putObject(field);
    defaults.forEach((r, v) -> {
      if (!list.has(r)) {
        list.set(r, v.deepCopy());
        set.add(r);
      }
    });
    if (list.isEmpty()) resources.remove(field);
    return set;
  }

  /** kube's minConstraint, maxConstraint and limitRequestRatioConstraint, worded as kube words them. */
  static void check(JsonNode item, String kind, JsonNode requests, JsonNode limits, List<String> errors) {
    item.path("min").properties().forEach(e -> {
      String r = e.getKey();
      String min = text(e.getValue());
      BigDecimal enforced = QuotaQuantities.value(e.getValue());
      if (!requests.has(r)) {
        errors.add("minimum " + r + " usage per " + kind + " is " + min + ".  No request is specified");
      } else if (QuotaQuantities.value(requests.get(r)).compareTo(enforced) < 0) {
        errors.add("minimum " + r + " usage per " + kind + " is " + min + ", but request is " + text(requests.get(r)));
      } else if (limits.has(r) && QuotaQuantities.value(limits.get(r)).compareTo(enforced) < 0) {
        errors.add("minimum " + r + " usage per " + kind + " is " + min + ", but limit is " + text(limits.get(r)));
      }
    });
    item.path("max").properties().forEach(e -> {
      String r = e.getKey();
      String max = text(e.getValue());
      BigDecimal enforced = QuotaQuantities.value(e.getValue());
      if (!limits.has(r)) {
        errors.add("maximum " + r + " usage per " + kind + " is " + max + ".  No limit is specified");
      } else if (QuotaQuantities.value(limits.get(r)).compareTo(enforced) > 0) {
        errors.add("maximum " + r + " usage per " + kind + " is " + max + ", but limit is " + text(limits.get(r)));
      } else if (requests.has(r) && QuotaQuantities.value(requests.get(r)).compareTo(enforced) > 0) {
        errors.add("maximum " + r + " usage per " + kind + " is " + max + ", but request is " + text(requests.get(r)));
      }
    });
    item.path("maxLimitRequestRatio").properties().forEach(e -> {
      String r = e.getKey();
      String ratio = text(e.getValue());
      BigDecimal req = requests.has(r) ? QuotaQuantities.value(requests.get(r)) : BigDecimal.ZERO;
      BigDecimal lim = limits.has(r) ? QuotaQuantities.value(limits.get(r)) : BigDecimal.ZERO;
      if (req.signum() == 0) {
        errors.add(r + " max limit to request ratio per " + kind + " is " + ratio + ", but no request is specified or request is 0");
      } else if (lim.signum() == 0) {
        errors.add(r + " max limit to request ratio per " + kind + " is " + ratio + ", but no limit is specified or limit is 0");
      } else {
        BigDecimal observed = lim.divide(req, 6, RoundingMode.HALF_UP);
        if (observed.compareTo(QuotaQuantities.value(e.getValue())) > 0) {
          errors.add(r + " max limit to request ratio per " + kind + " is " + ratio + ", but provided ratio is " + observed.toPlainString());
        }
      }
    });
  }

  private static String text(JsonNode q) {
    return q.isString() ? q.stringValue() : q.asString();
  }
}
