package io.keelson.apiserver.admission;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Defaulting and validation of ResourceQuota and LimitRange, with kube's rules and messages
 * (ValidateResourceQuota, ValidateLimitRange, SetDefaults_LimitRangeItem).
 */
final class QuotaObjects {

  static final List<String> SCOPES =
      List.of("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity");
  private static final List<String> OPERATORS = List.of("In", "NotIn", "Exists", "DoesNotExist");
  private static final List<String> LIMIT_TYPES = List.of("Pod", "Container", "PersistentVolumeClaim");
  /** kube's standard quota resource names; anything qualified (with a '/') is allowed too. */
  private static final Set<String> QUOTA_RESOURCES = Set.of("pods", "services", "replicationcontrollers", "resourcequotas",
      "secrets", "configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers", "cpu", "memory",
      "ephemeral-storage", "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage", "limits.cpu",
      "limits.memory", "limits.ephemeral-storage");
  /** Counted in whole objects: a fraction makes no sense. */
  private static final Set<String> INTEGER_RESOURCES = Set.of("pods", "services", "replicationcontrollers", "resourcequotas",
      "secrets", "configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers");
  /** What BestEffort and the other pod scopes can limit (kube's pod evaluator's resources). */
  private static final Set<String> BEST_EFFORT_RESOURCES = Set.of("pods", "count/pods");
  private static final Set<String> LIMIT_RANGE_RESOURCES = Set.of("cpu", "memory", "ephemeral-storage", "storage");

  private QuotaObjects() {}

  // ================================================================== ResourceQuota

  static void resourceQuota(ObjectNode q, FieldErrors errs) {
    JsonNode spec = q.path("spec");
    quotaList(spec.path("hard"), "spec.hard", errs);
    quotaList(q.path("status").path("hard"), "status.hard", errs);
    quotaList(q.path("status").path("used"), "status.used", errs);
    List<String> scopes = new ArrayList<>();
    int i = 0;
    for (JsonNode s : spec.path("scopes")) {
      String scope = s.asString("");
      if (!SCOPES.contains(scope)) errs.invalid("spec.scopes", scope, "unsupported scope");
      scopes.add(scope);
      i++;
    }
    i = 0;
    for (JsonNode e : spec.path("scopeSelector").path("matchExpressions")) {
      String p = "spec.scopeSelector.matchExpressions[" + i++ + "]";
      String scope = e.path("scopeName").asString("");
      String op = e.path("operator").asString("");
      if (!SCOPES.contains(scope)) errs.invalid(p + ".scopeName", scope, "unsupported scope");
      if (!OPERATORS.contains(op)) {
        errs.notSupported(p + ".operator", op, OPERATORS);
      } else if (!scope.equals("PriorityClass") && !op.equals("Exists") && SCOPES.contains(scope)) {
        errs.invalid(p + ".operator", op, "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, "
            + "ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or "
            + "ResourceQuotaScopeCrossNamespacePodAffinity");
      }
      int values = e.path("values").size();
      if ((op.equals("In") || op.equals("NotIn")) && values == 0) {
        errs.required(p + ".values", "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector");
      } else if ((op.equals("Exists") || op.equals("DoesNotExist")) && values > 0) {
        errs.invalid(p + ".values", e.path("values"), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector");
      }
      scopes.add(scope);
    }
    if ((scopes.contains("Terminating") && scopes.contains("NotTerminating"))
        || (scopes.contains("BestEffort") && scopes.contains("NotBestEffort"))) {
      errs.invalid("spec.scopes", String.join(",", scopes), "conflicting scopes");
    }
    if (scopes.contains("BestEffort")) {
      for (Map.Entry<String, JsonNode> h : spec.path("hard").properties()) {
        if (!BEST_EFFORT_RESOURCES.contains(h.getKey())) {
          errs.invalid("spec.hard[" + h.getKey() + "]", h.getKey(), "unsupported scope applied to resource");
        }
      }
    }
  }

  private static void quotaList(JsonNode list, String p, FieldErrors errs) {
    if (!list.isObject()) return;
    for (Map.Entry<String, JsonNode> e : list.properties()) {
      String r = e.getKey();
      String rp = p + "[" + r + "]";
      boolean standard = QUOTA_RESOURCES.contains(r) || r.startsWith("count/") || r.startsWith("hugepages-")
          || r.startsWith("requests.hugepages-") || r.contains("/");
      if (!standard) {
        errs.invalid(rp, r, "must be a standard resource for quota");
        continue;
      }
      if (r.contains("/") && !r.startsWith("count/")) for (String msg : Names.qualifiedName(r)) errs.invalid(rp, r, msg);
      BigDecimal v = quantity(e.getValue(), rp, errs);
      if (v == null) continue;
      if ((INTEGER_RESOURCES.contains(r) || r.startsWith("count/")) && v.stripTrailingZeros().scale() > 0) {
        errs.invalid(rp, raw(e.getValue()), "must be an integer");
      }
    }
  }

  // ================================================================== LimitRange

  /** SetDefaults_LimitRangeItem: a Container limit's default is its max, its default request its default, else its min. */
  static void defaultLimitRange(ObjectNode lr) {
    for (JsonNode item : lr.path("spec").path("limits")) {
      if (!(item instanceof ObjectNode limit) || !"Container".equals(limit.path("type").asString(""))) continue;
      ObjectNode dflt = limit.get("default") instanceof ObjectNode d ? d : limit.putObject("default");
      ObjectNode request = limit.get("defaultRequest") instanceof ObjectNode d ? d : limit.putObject("defaultRequest");
      fill(dflt, limit.path("max"));
      fill(request, dflt);
      fill(request, limit.path("min"));
      if (dflt.isEmpty()) limit.remove("default");
      if (request.isEmpty()) limit.remove("defaultRequest");
    }
  }

  private static void fill(ObjectNode into, JsonNode from) {
    for (Map.Entry<String, JsonNode> e : from.properties()) if (!into.has(e.getKey())) into.set(e.getKey(), e.getValue().deepCopy());
  }

  static void limitRange(ObjectNode lr, FieldErrors errs) {
    Set<String> types = new HashSet<>();
    int i = 0;
    for (JsonNode limit : lr.path("spec").path("limits")) {
      String p = "spec.limits[" + i++ + "]";
      String type = limit.path("type").asString("");
      if (type.isEmpty()) errs.required(p + ".type");
      else if (!LIMIT_TYPES.contains(type)) errs.notSupported(p + ".type", type, LIMIT_TYPES);
      else if (!types.add(type)) errs.duplicate(p + ".type", type);
      Map<String, BigDecimal> max = limitList(limit.path("max"), p + ".max", errs);
      Map<String, BigDecimal> min = limitList(limit.path("min"), p + ".min", errs);
      Map<String, BigDecimal> dflt = limitList(limit.path("default"), p + ".default", errs);
      Map<String, BigDecimal> request = limitList(limit.path("defaultRequest"), p + ".defaultRequest", errs);
      Map<String, BigDecimal> ratio = limitList(limit.path("maxLimitRequestRatio"), p + ".maxLimitRequestRatio", errs);
      if (type.equals("Pod")) {
        if (!dflt.isEmpty()) errs.forbidden(p + ".default", "may not be specified when `type` is 'Pod'");
        if (!request.isEmpty()) errs.forbidden(p + ".defaultRequest", "may not be specified when `type` is 'Pod'");
      }
      if (type.equals("PersistentVolumeClaim") && !min.containsKey("storage") && !max.containsKey("storage")) {
        errs.required(p + ".limits", "either minimum or maximum storage value is required, but neither was provided");
      }
      Set<String> keys = new HashSet<>(max.keySet());
      keys.addAll(min.keySet());
      keys.addAll(dflt.keySet());
      keys.addAll(request.keySet());
      keys.addAll(ratio.keySet());
      for (String k : keys) {
        BigDecimal mx = max.get(k), mn = min.get(k), d = dflt.get(k), dr = request.get(k), r = ratio.get(k);
        String mxs = raw(limit.path("max").get(k)), mns = raw(limit.path("min").get(k)), ds = raw(limit.path("default").get(k));
        String drs = raw(limit.path("defaultRequest").get(k)), rs = raw(limit.path("maxLimitRequestRatio").get(k));
        if (mn != null && mx != null && mn.compareTo(mx) > 0) {
          errs.invalid(p + ".min[" + k + "]", mns, "min value " + mns + " is greater than max value " + mxs);
        }
        if (dr != null && mn != null && mn.compareTo(dr) > 0) {
          errs.invalid(p + ".defaultRequest[" + k + "]", drs, "min value " + mns + " is greater than default request value " + drs);
        }
        if (dr != null && mx != null && dr.compareTo(mx) > 0) {
          errs.invalid(p + ".defaultRequest[" + k + "]", drs, "default request value " + drs + " is greater than max value " + mxs);
        }
        if (d != null && mn != null && mn.compareTo(d) > 0) {
          errs.invalid(p + ".default[" + k + "]", ds, "min value " + mns + " is greater than default value " + ds);
        }
        if (d != null && mx != null && d.compareTo(mx) > 0) {
          errs.invalid(p + ".default[" + k + "]", ds, "default value " + ds + " is greater than max value " + mxs);
        }
        if (d != null && dr != null && dr.compareTo(d) > 0) {
          errs.invalid(p + ".defaultRequest[" + k + "]", drs, "default request value " + drs + " is greater than default limit value " + ds);
        }
        if (r != null && r.compareTo(BigDecimal.ONE) < 0) {
          errs.invalid(p + ".maxLimitRequestRatio[" + k + "]", rs, "ratio " + rs + " is less than 1");
        }
        if (r != null && mx != null && mn != null && mn.signum() > 0) {
          BigDecimal spread = mx.divide(mn, 6, java.math.RoundingMode.HALF_UP);
          if (r.compareTo(spread) > 0) {
            errs.invalid(p + ".maxLimitRequestRatio[" + k + "]", rs, "ratio " + rs + " is greater than max/min = " + spread.toPlainString());
          }
        }
      }
    }
  }

  private static Map<String, BigDecimal> limitList(JsonNode list, String p, FieldErrors errs) {
    Map<String, BigDecimal> out = new LinkedHashMap<>();
    if (!list.isObject()) return out;
    for (Map.Entry<String, JsonNode> e : list.properties()) {
      String r = e.getKey();
      String rp = p + "[" + r + "]";
      if (!LIMIT_RANGE_RESOURCES.contains(r) && !r.startsWith("hugepages-") && !r.contains("/")) {
        errs.invalid(rp, r, "must be a standard limit type or fully qualified");
        continue;
      }
      BigDecimal v = quantity(e.getValue(), rp, errs);
      if (v != null) out.put(r, v);
    }
    return out;
  }

  /** The value of a quantity field, or null after reporting it as unparsable or negative. */
  private static BigDecimal quantity(JsonNode v, String p, FieldErrors errs) {
    String raw = raw(v);
    if (raw == null) {
      errs.invalid(p, v, Quantities.FORMAT_ERROR);
      return null;
    }
    try {
      BigDecimal q = Quantities.parse(raw);
      if (q.signum() < 0) {
        errs.invalid(p, raw, "must be greater than or equal to 0");
        return null;
      }
      return q;
    } catch (IllegalArgumentException ex) {
      errs.invalid(p, raw, ex.getMessage());
      return null;
    }
  }

  private static String raw(JsonNode v) {
    if (v == null) return null;
    return v.isString() ? v.stringValue() : v.isNumber() ? v.decimalValue().toPlainString() : null;
  }
}
