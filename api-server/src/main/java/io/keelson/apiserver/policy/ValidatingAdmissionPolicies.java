package io.keelson.apiserver.policy;

import io.keelson.apiserver.admission.AdmissionWarnings;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.cel.CelCompileException;
import io.keelson.apiserver.cel.CelEnvironment;
import io.keelson.apiserver.cel.CelEvaluationError;
import io.keelson.apiserver.cel.CelValues;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteGuard;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.selection.LabelSelector;
import io.keelson.apiserver.status.StatusException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Kube's ValidatingAdmissionPolicy admission (admissionregistration.k8s.io/v1): every create and
 * update is checked against the policies its bindings select (matchConstraints, the binding's
 * matchResources, matchConditions), with the policy's CEL validations over {@code object},
 * {@code oldObject}, {@code request}, {@code params} (the binding's paramRef: one object by name or
 * all by selector), {@code namespaceObject} and {@code variables}. A failed validation of a binding
 * whose validationActions hold Deny refuses the write as kube does, Warn adds kube's warning to the
 * response ({@link AdmissionWarnings}); Audit is not recorded (see README). Errors follow the policy's failurePolicy (Fail unless Ignore).
 */
public final class ValidatingAdmissionPolicies implements WriteGuard {

  public static final String GROUP = "admissionregistration.k8s.io";
  /** The variables of every expression of a policy. */
  static final CelEnvironment ENVIRONMENT = new CelEnvironment(
      List.of("object", "oldObject", "request", "params", "namespaceObject", "variables"), List.of());

  private final ResourceService resources;

  /** Where a policy's expressions compile (for the validation of policies when they are written). */
  public static CelEnvironment environment() {
    return ENVIRONMENT;
  }

  public ValidatingAdmissionPolicies(ResourceService resources) {
    this.resources = resources;
  }

  @Override
  public void admit(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts) {
    if (type.group().equals(GROUP)) return; // as kube: policies and webhooks never lock their own configuration out
    ResourceType bindingType = type("validatingadmissionpolicybindings");
    if (resources.cache(bindingType).size() == 0) return; // every write passes here: no snapshot when there is nothing to check
    ResourceType policyType = type("validatingadmissionpolicies");
    List<ObjectNode> bindings = resources.cache(bindingType).snapshot(null, o -> true).objects();
    if (bindings.isEmpty()) return;
    Request request = new Request(type, obj, old, opts, namespaceObject(type, obj));
    for (ObjectNode binding : bindings) {
      String policyName = binding.path("spec").path("policyName").asString("");
      ObjectNode policy = policyName.isEmpty() ? null : resources.cached(policyType, null, policyName);
      if (policy == null) continue; // kube: a binding to a missing policy is ignored
      if (!PolicyMatch.matches(policy.path("spec").path("matchConstraints"), request, true)) continue;
      JsonNode bindingMatch = binding.path("spec").path("matchResources");
      if (bindingMatch.isObject() && !PolicyMatch.matches(bindingMatch, request, false)) continue;
      evaluate(policy, binding, request);
    }
  }

  private void evaluate(ObjectNode policy, ObjectNode binding, Request request) {
    JsonNode spec = policy.path("spec");
    boolean failClosed = !"Ignore".equals(spec.path("failurePolicy").asString("Fail"));
    List<String> actions = new ArrayList<>();
    for (JsonNode a : binding.path("spec").path("validationActions")) actions.add(a.asString(""));
    boolean deny = actions.contains("Deny");
    boolean warn = actions.contains("Warn");
    if (!deny && !warn) return; // Audit only: audit annotations are not recorded
    List<Optional<JsonNode>> params = params(spec.path("paramKind"), binding.path("spec").path("paramRef"), request);
    if (params == null) {
      decide(deny, policy, binding, request,
          new Decision("failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction", ""));
      return;
    }
    for (Optional<JsonNode> param : params) {
      Map<String, Object> vars = request.variables(param.orElse(null));
      try {
        if (!matchConditions(spec, vars)) continue;
        vars.put("variables", variables(spec, vars));
      } catch (CelCompileException | CelEvaluationError e) {
        if (failClosed) decide(deny, policy, binding, request, new Decision(e.getMessage(), ""));
        continue;
      }
      for (JsonNode validation : spec.path("validations")) {
        String expression = validation.path("expression").asString("");
        try {
          if (ENVIRONMENT.compile(expression).test(vars)) continue;
          decide(deny, policy, binding, request, new Decision(message(validation, vars), validation.path("reason").asString("")));
        } catch (CelCompileException | CelEvaluationError e) {
          if (failClosed) {
            decide(deny, policy, binding, request, new Decision("expression '" + expression + "' resulted in error: " + e.getMessage(), ""));
          }
        }
      }
    }
  }

  /** All matchConditions hold (kube: any false one means the policy does not apply). */
  private static boolean matchConditions(JsonNode spec, Map<String, Object> vars) throws CelCompileException, CelEvaluationError {
    for (JsonNode condition : spec.path("matchConditions")) {
      if (!ENVIRONMENT.compile(condition.path("expression").asString("")).test(vars)) return false;
    }
    return true;
  }

  /** The policy's variables in order, each seeing those before it; one that fails is left out (an error where used). */
  private static Map<String, Object> variables(JsonNode spec, Map<String, Object> vars) throws CelCompileException {
    Map<String, Object> values = new LinkedHashMap<>();
    vars.put("variables", values);
    for (JsonNode v : spec.path("variables")) {
      try {
        Object value = ENVIRONMENT.compile(v.path("expression").asString("")).evaluate(vars);
        values.put(v.path("name").asString(""), value == null ? CelValues.of(null) : value);
      } catch (CelEvaluationError e) {
        // kube evaluates variables lazily: an unused variable's error does not matter
      }
    }
    return values;
  }

  private static String message(JsonNode validation, Map<String, Object> vars) {
    String text = ENVIRONMENT.message(validation.path("messageExpression").asString(""), vars);
    if (text != null) return text;
    String message = validation.path("message").asString("").trim();
    return message.isEmpty() ? "failed expression: " + validation.path("expression").asString("").trim() : message;
  }

  /**
   * The params each evaluation sees: none (one evaluation without params) when the policy has no
   * paramKind, else the referenced objects; null when there are none and the binding says Deny.
   */
  private List<Optional<JsonNode>> params(JsonNode paramKind, JsonNode paramRef, Request request) {
    if (!paramKind.isObject()) return List.of(Optional.empty());
    Optional<ResourceType> kind = ResourceRegistry.byKind(paramKind.path("apiVersion").asString(""), paramKind.path("kind").asString(""));
    boolean allow = "Allow".equals(paramRef.path("parameterNotFoundAction").asString(""));
    if (kind.isEmpty() || !paramRef.isObject()) return allow ? List.of() : null;
    ResourceType t = kind.get();
    String namespace = paramRef.path("namespace").asString("");
    if (t.namespaced() && namespace.isEmpty()) namespace = request.namespace();
    List<Optional<JsonNode>> found = new ArrayList<>();
    String name = paramRef.path("name").asString("");
    if (!name.isEmpty()) {
      ObjectNode p = resources.cached(t, t.namespaced() ? namespace : null, name);
      if (p != null) found.add(Optional.of(p));
    } else {
      LabelSelector selector = LabelSelector.of(paramRef.path("selector"));
      String ns = namespace;
      for (ObjectNode p : resources.cache(t).snapshot(null, o -> true).objects()) {
        if (t.namespaced() && !ns.equals(p.path("metadata").path("namespace").asString(""))) continue;
        if (selector.test(p)) found.add(Optional.of(p));
      }
    }
    if (found.isEmpty()) return allow ? List.of() : null;
    return found;
  }

  private ObjectNode namespaceObject(ResourceType type, ObjectNode obj) {
    String ns = obj.path("metadata").path("namespace").asString("");
    if (!type.namespaced() || ns.isEmpty()) return null;
    return resources.cached(type("", "v1", "namespaces"), null, ns);
  }

  /** Deny refuses the request; Warn lets it through with kube's warning. */
  private static void decide(boolean deny, ObjectNode policy, ObjectNode binding, Request request, Decision decision) {
    if (deny) throw denial(policy, binding, request, decision);
    AdmissionWarnings.add("Validation failed for ValidatingAdmissionPolicy '" + policy.path("metadata").path("name").asString("")
        + "' with binding '" + binding.path("metadata").path("name").asString("") + "': " + decision.message());
  }

  /** kube's status: {@code <resource> "name" is forbidden: ValidatingAdmissionPolicy ...}, 422 Invalid unless the validation names another reason. */
  private static StatusException denial(ObjectNode policy, ObjectNode binding, Request request, Decision decision) {
    String message = "ValidatingAdmissionPolicy '" + policy.path("metadata").path("name").asString("") + "' with binding '"
        + binding.path("metadata").path("name").asString("") + "' denied request: " + decision.message();
    String reason = decision.reason().isEmpty() ? "Invalid" : decision.reason();
    int code = switch (reason) {
      case "Forbidden" -> 403;
      case "Unauthorized" -> 401;
      case "RequestEntityTooLarge" -> 413;
      default -> 422;
    };
    ResourceType type = request.type();
    String resource = type.group().isEmpty() ? type.resource() : type.resource() + "." + type.group();
    return new StatusException(code, reason, resource + " \"" + request.name() + "\" is forbidden: " + message, type.resource(),
        type.group(), request.name(), List.of(new StatusException.Cause(null, message, null)), null);
  }

  private static ResourceType type(String resource) {
    return type(GROUP, "v1", resource);
  }

  private static ResourceType type(String group, String version, String resource) {
    return ResourceRegistry.find(group, version, resource).orElseThrow();
  }

  private record Decision(String message, String reason) {}

  /** One admission request as policies see it. */
  record Request(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts, ObjectNode namespaceObject) {

    String operation() {
      return old == null ? "CREATE" : "UPDATE";
    }

    String name() {
      return (obj != null ? obj : old).path("metadata").path("name").asString("");
    }

    String namespace() {
      return (obj != null ? obj : old).path("metadata").path("namespace").asString("");
    }

    String subresource() {
      return opts.subresource() == null ? "" : opts.subresource();
    }

    JsonNode labels() {
      return (obj != null ? obj : old).path("metadata").path("labels");
    }

    Map<String, Object> variables(JsonNode params) {
      Map<String, Object> vars = new HashMap<>();
      vars.put("object", CelValues.of(obj));
      vars.put("oldObject", CelValues.of(old));
      vars.put("params", CelValues.of(params));
      vars.put("namespaceObject", CelValues.of(namespaceObject));
      vars.put("variables", Map.of());
      vars.put("request", request());
      return vars;
    }

    private Map<String, Object> request() {
      Map<String, Object> r = new LinkedHashMap<>();
      Map<String, Object> kind = Map.of("group", type.group(), "version", type.version(), "kind", type.kind());
      Map<String, Object> resource = Map.of("group", type.group(), "version", type.version(), "resource", type.resource());
      r.put("kind", kind);
      r.put("resource", resource);
      r.put("requestKind", kind);
      r.put("requestResource", resource);
      r.put("subResource", subresource());
      r.put("name", name());
      r.put("namespace", namespace());
      r.put("operation", operation());
      UserInfo user = opts.requester() == null ? UserInfo.ADMIN : opts.requester();
      r.put("userInfo", Map.of("username", user.username(), "uid", user.uid() == null ? "" : user.uid(),
          "groups", user.groups() == null ? List.of() : List.copyOf(user.groups())));
      r.put("dryRun", opts.dryRun());
      return r;
    }
  }
}
