package io.keelson.apiserver.admission;

import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.webhook.WebhookClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Defaulting, status and validation of apiextensions.k8s.io/v1 CustomResourceDefinitions, in
 * kube-apiserver's words (its apiextensions validation): the definitions that add custom
 * resource types, which {@code apiextensions.CustomResourceRegistrar} then serves.
 */
public final class CustomResourceDefinitions {

  public static final String GROUP = "apiextensions.k8s.io";
  /** kube's finalizer: a definition's objects are deleted before the definition itself. */
  public static final String CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";

  private static final List<String> SCOPES = List.of("Cluster", "Namespaced");
  private static final List<String> STRATEGIES = List.of("None", "Webhook");
  private static final List<String> COLUMN_TYPES = List.of("boolean", "date", "integer", "number", "string");

  private CustomResourceDefinitions() {}

  /** On create: the cleanup finalizer, as kube's strategy adds it. */
  public static void prepareForCreate(ObjectNode crd) {
    ObjectNode md = ResourceService.metadata(crd);
    ArrayNode fins = md.get("finalizers") instanceof ArrayNode a ? a : md.putArray("finalizers");
    for (JsonNode f : fins) if (CLEANUP_FINALIZER.equals(f.asString(""))) return;
    fins.add(CLEANUP_FINALIZER);
  }

  /**
   * kube's defaults (singular and listKind from the kind, conversion None), and the storage
   * version among the stored ones in the status.
   */
  static void applyDefaults(ObjectNode crd) {
    ObjectNode spec = obj(crd, "spec");
    ObjectNode names = obj(spec, "names");
    String kind = names.path("kind").asString("");
    if (!kind.isEmpty()) {
      if (names.path("singular").asString("").isEmpty()) names.put("singular", kind.toLowerCase(Locale.ROOT));
      if (names.path("listKind").asString("").isEmpty()) names.put("listKind", kind + "List");
    }
    ObjectNode conversion = obj(spec, "conversion");
    if (conversion.path("strategy").asString("").isEmpty()) conversion.put("strategy", "None");
    if (conversion.path("webhook").path("clientConfig").path("service") instanceof ObjectNode service && !service.has("port")) {
      service.put("port", 443); // kube's SetDefaults_ServiceReference
    }
    ObjectNode status = obj(crd, "status");
    List<String> stored = new ArrayList<>();
    for (JsonNode v : status.path("storedVersions")) stored.add(v.asString());
    for (JsonNode v : spec.path("versions")) {
      String name = v.path("name").asString("");
      if (v.path("storage").asBoolean(false) && !name.isEmpty() && !stored.contains(name)) stored.add(name);
    }
    ArrayNode sv = status.putArray("storedVersions");
    stored.forEach(sv::add);
    // acceptedNames and the conditions NamesAccepted and Established are the serving api-servers' to
    // say once they serve it (apiextensions.CustomResourceRegistrar), as kube's naming controller does
  }

  /** Sets a condition, keeping its lastTransitionTime when its status does not change. */
  public static void setCondition(ObjectNode status, String type, String value, String reason, String message) {
    ArrayNode conds = status.get("conditions") instanceof ArrayNode a ? a : status.putArray("conditions");
    ObjectNode c = null;
    for (JsonNode n : conds) if (type.equals(n.path("type").asString("")) && n instanceof ObjectNode o) c = o;
    if (c == null) c = conds.addObject().put("type", type);
    if (!value.equals(c.path("status").asString("")) || !c.has("lastTransitionTime")) c.put("lastTransitionTime", ResourceService.now());
    c.put("status", value);
    c.put("reason", reason);
    c.put("message", message);
  }

  static void validate(ObjectNode crd, ObjectNode old, FieldErrors errs) {
    JsonNode spec = crd.path("spec");
    JsonNode names = spec.path("names");
    String group = spec.path("group").asString("");
    String plural = names.path("plural").asString("");
    String name = crd.path("metadata").path("name").asString("");
    if (!name.equals(plural + "." + group)) errs.invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group");
    if (group.isEmpty()) errs.required("spec.group");
    else if (!Names.dns1123Subdomain(group).isEmpty()) errs.invalid("spec.group", group, String.join(",", Names.dns1123Subdomain(group)));
    else if (!group.contains(".")) errs.invalid("spec.group", group, "should be a domain with at least one dot");
    else if (protectedGroup(group) && crd.path("metadata").path("annotations").path("api-approved.kubernetes.io").asString("").isEmpty()) {
      // the built-in API groups: a definition may not take their names without approval, as in kube
      errs.required("metadata.annotations[api-approved.kubernetes.io]", "protected groups must have approval annotation "
          + "\"api-approved.kubernetes.io\", see https://github.com/kubernetes/enhancements/pull/1111");
    }
    for (io.keelson.apiserver.resource.ResourceType t : io.keelson.apiserver.resource.ResourceRegistry.all()) {
      // a built-in resource keeps its names: a definition may not take them over (kube: NamesAccepted False)
      if (io.keelson.apiserver.resource.CustomResource.isCustom(t) || !t.group().equals(group)) continue;
      if (t.resource().equals(plural)) errs.invalid("spec.names.plural", plural, "\"" + plural + "\" is already in use");
      String kind = names.path("kind").asString("");
      if (t.kind().equals(kind)) errs.invalid("spec.names.kind", kind, "\"" + kind + "\" is already in use");
    }
    String scope = spec.path("scope").asString("");
    if (scope.isEmpty()) errs.required("spec.scope");
    else if (!SCOPES.contains(scope)) errs.notSupported("spec.scope", scope, SCOPES);
    versions(spec.path("versions"), errs);
    ValidationRules.compileAll(spec, errs);
    for (String n : new String[] {"plural", "singular", "kind", "listKind"}) {
      if (names.path(n).asString("").isEmpty()) errs.required("spec.names." + n);
    }
    names(names, errs);
    conversion(spec, old, errs);
    if (old != null) {
      JsonNode oldSpec = old.path("spec");
      immutable("spec.group", spec.path("group"), oldSpec.path("group"), errs);
      immutable("spec.names.plural", names.path("plural"), oldSpec.path("names").path("plural"), errs);
      immutable("spec.scope", spec.path("scope"), oldSpec.path("scope"), errs);
      immutable("spec.names.kind", names.path("kind"), oldSpec.path("names").path("kind"), errs);
    }
  }

  /**
   * kube's validateCustomResourceConversion, with its paths: those of the internal type, where a v1
   * {@code webhook.clientConfig} is {@code webhookClientConfig}, as kube-apiserver reports them.
   */
  private static void conversion(JsonNode spec, ObjectNode old, FieldErrors errs) {
    JsonNode conversion = spec.path("conversion");
    String strategy = conversion.path("strategy").asString("");
    String p = "spec.conversion";
    if (!STRATEGIES.contains(strategy)) errs.notSupported(p + ".strategy", strategy, STRATEGIES);
    JsonNode webhook = conversion.path("webhook");
    if (strategy.equals("Webhook")) {
      if (!webhook.path("clientConfig").isObject()) errs.required(p + ".webhookClientConfig", "required when strategy is set to Webhook");
      else WebhookConfigurations.clientConfig(webhook.path("clientConfig"), p + ".webhookClientConfig", errs);
      String bundle = webhook.path("clientConfig").path("caBundle").asString("");
      String oldBundle = old == null ? "" : old.path("spec").path("conversion").path("webhook").path("clientConfig").path("caBundle").asString("");
      // a bundle that was already broken may stay so (kube's allowInvalidCABundle), a new one must load
      if (!bundle.isEmpty() && (oldBundle.isEmpty() || WebhookClient.caBundleProblem(oldBundle) == null)) {
        String problem = WebhookClient.caBundleProblem(bundle);
        if (problem != null) errs.invalid(p + ".webhookClientConfig.caBundle", bundle, "unable to load root certificates: " + problem);
      }
      if (webhook.path("conversionReviewVersions").isEmpty()) errs.required(p + ".conversionReviewVersions");
      else WebhookConfigurations.reviewVersions(webhook.path("conversionReviewVersions"), p + ".conversionReviewVersions", errs);
      if (spec.path("preserveUnknownFields").asBoolean(false)) {
        errs.invalid(p + ".strategy", strategy, "must be None if spec.preserveUnknownFields is true");
      }
    } else if (webhook.isObject()) {
      errs.forbidden(p + ".webhookClientConfig", "should not be set when strategy is not set to Webhook");
      if (!webhook.path("conversionReviewVersions").isEmpty()) {
        errs.forbidden(p + ".conversionReviewVersions", "should not be set when strategy is not set to Webhook");
      }
    }
  }

  private static void versions(JsonNode versions, FieldErrors errs) {
    int storage = 0;
    boolean served = false;
    Set<String> seen = new HashSet<>();
    boolean unique = true;
    for (int i = 0; i < versions.size(); i++) {
      JsonNode v = versions.get(i);
      String p = "spec.versions[" + i + "]";
      String name = v.path("name").asString("");
      if (v.path("storage").asBoolean(false)) storage++;
      served |= v.path("served").asBoolean(false);
      if (!seen.add(name)) unique = false;
      if (name.isEmpty()) errs.required(p + ".name");
      else if (!Names.dns1035Label(name).isEmpty()) errs.invalid(p + ".name", name, String.join(",", Names.dns1035Label(name)));
      JsonNode schema = v.path("schema").path("openAPIV3Schema");
      if (!schema.isObject()) errs.required(p + ".schema.openAPIV3Schema", "schemas are required");
      else if (!"object".equals(schema.path("type").asString(""))) {
        if (schema.path("type").asString("").isEmpty()) errs.required(p + ".schema.openAPIV3Schema.type", "must not be empty at the root");
        else errs.invalid(p + ".schema.openAPIV3Schema.type", schema.path("type").asString(), "must be object at the root");
      }
      int j = 0;
      for (JsonNode col : v.path("additionalPrinterColumns")) column(col, p + ".additionalPrinterColumns[" + j++ + "]", errs);
      JsonNode scale = v.path("subresources").path("scale");
      if (scale.isObject()) {
        for (String f : new String[] {"specReplicasPath", "statusReplicasPath"}) {
          String path = scale.path(f).asString("");
          if (path.isEmpty()) errs.required(p + ".subresources.scale." + f);
          else if (!path.startsWith(".spec.") && !path.startsWith(".status.")) {
            errs.invalid(p + ".subresources.scale." + f, path, "should be a json path under either .spec or .status");
          }
        }
      }
    }
    if (versions.isEmpty()) errs.required("spec.versions", "must have exactly one version marked as storage version");
    if (!unique) errs.invalid("spec.versions", versions, "must contain unique version names");
    if (!versions.isEmpty() && storage != 1) errs.invalid("spec.versions", versions, "must have exactly one version marked as storage version");
    if (!versions.isEmpty() && !served) errs.invalid("spec.versions", versions, "must have at least one served version");
  }

  private static void column(JsonNode col, String p, FieldErrors errs) {
    if (col.path("name").asString("").isEmpty()) errs.required(p + ".name");
    String type = col.path("type").asString("");
    String types = "must be one of " + String.join(",", COLUMN_TYPES);
    if (type.isEmpty()) errs.required(p + ".type", types);
    else if (!COLUMN_TYPES.contains(type)) errs.invalid(p + ".type", type, types);
    String path = col.path("jsonPath").asString("");
    if (path.isEmpty()) errs.required(p + ".jsonPath");
    else if (!path.startsWith(".")) errs.invalid(p + ".jsonPath", path, "must be a simple json path starting with .");
  }

  private static void names(JsonNode names, FieldErrors errs) {
    for (String n : new String[] {"plural", "singular"}) {
      String v = names.path(n).asString("");
      if (!v.isEmpty() && !Names.dns1035Label(v).isEmpty()) errs.invalid("spec.names." + n, v, String.join(",", Names.dns1035Label(v)));
    }
    for (String n : new String[] {"kind", "listKind"}) {
      String v = names.path(n).asString("");
      List<String> bad = v.isEmpty() ? List.of() : Names.dns1035Label(v.toLowerCase(Locale.ROOT));
      if (!bad.isEmpty()) errs.invalid("spec.names." + n, v, "may have mixed case, but should otherwise match: " + String.join(",", bad));
    }
    labels(names.path("shortNames"), "spec.names.shortNames", errs);
    String kind = names.path("kind").asString("");
    if (!kind.isEmpty() && kind.equals(names.path("listKind").asString(""))) {
      errs.invalid("spec.names.listKind", kind, "kind and listKind may not be the same");
    }
    labels(names.path("categories"), "spec.names.categories", errs);
  }

  private static void labels(JsonNode values, String path, FieldErrors errs) {
    int i = 0;
    for (JsonNode n : values) {
      String v = n.asString("");
      List<String> bad = Names.dns1035Label(v);
      if (!bad.isEmpty()) errs.invalid(path + "[" + i + "]", v, String.join(",", bad));
      i++;
    }
  }

  private static void immutable(String path, JsonNode now, JsonNode before, FieldErrors errs) {
    if (!before.isMissingNode() && !now.equals(before)) errs.invalid(path, now, "field is immutable");
  }

  /** The groups of Kubernetes' own APIs (kube: *.k8s.io and *.kubernetes.io need an approval annotation). */
  private static boolean protectedGroup(String group) {
    return group.equals("k8s.io") || group.endsWith(".k8s.io") || group.equals("kubernetes.io") || group.endsWith(".kubernetes.io");
  }

  private static ObjectNode obj(ObjectNode parent, String field) {
    return parent.get(field) instanceof ObjectNode o ? o : parent.putObject(field);
  }
}
