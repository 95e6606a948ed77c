package io.keelson.apiserver.policy;

import io.keelson.apiserver.admission.AdmissionWarnings;
import io.keelson.apiserver.audit.AuditedRequest;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.cel.CelCompileException;
import io.keelson.apiserver.cel.CelEnvironment;
import io.keelson.apiserver.cel.CelEvaluationError;
import io.keelson.apiserver.cel.CelValues;
import io.keelson.apiserver.cel.MatchConditions;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteGuard;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.selection.LabelSelector;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Kube's ValidatingAdmissionPolicy admission (admissionregistration.k8s.io/v1): every create, update
 * and delete is checked against the policies its bindings select (matchConstraints, the binding's
 * matchResources, matchConditions), with the policy's CEL validations over {@code object} (null on
 * delete), {@code oldObject}, {@code request}, {@code params} (the binding's paramRef: one object by
 * name or all by selector), {@code namespaceObject} and {@code variables}. A failed validation of a
 * binding whose validationActions hold Deny refuses the write as kube does, Warn adds kube's warning
 * to the response ({@link AdmissionWarnings}), Audit adds kube's validation_failure annotation to the
 * request's audit event; a matching policy's auditAnnotations are added there too. Errors follow the
 * policy's failurePolicy (Fail unless Ignore).
 */
public final class ValidatingAdmissionPolicies implements WriteGuard {

  public static final String GROUP = "admissionregistration.k8s.io";
  /** The audit annotation of a failed validation under a binding with Audit. */
  static final String VALIDATION_FAILURE = "validation.policy.admission.k8s.io/validation_failure";
  private static final int MAX_AUDIT_ANNOTATION_VALUE = 10 * 1024;
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
    check(type, obj, old, opts);
  }

  /** kube evaluates policies on DELETE with {@code object} null and {@code oldObject} the object deleted. */
  @Override
  public void admitDelete(ResourceType type, ObjectNode old, WriteOptions opts) {
    check(type, null, old, opts);
  }

  /** pods/eviction and pods/binding: the policies see the Eviction or the Binding as {@code object}, the request named after the pod. */
  @Override
  public void admitSubresourceCreate(ResourceType type, String namespace, String name, ObjectNode body, WriteOptions opts) {
    if (unbound()) return;
    check(new Request(type, body, null, opts, namespaceObject(type, namespace), name, namespace == null ? "" : namespace));
  }

  private void check(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts) {
    if (type.group().equals(GROUP)) return; // as kube: policies and webhooks never lock their own configuration out
    if (unbound()) return;
    ObjectNode o = obj != null ? obj : old;
    check(new Request(type, obj, old, opts, namespaceObject(type, o.path("metadata").path("namespace").asString(""))));
  }

  /** Every write passes here: no snapshot when there is nothing to check. */
  private boolean unbound() {
    return resources.cache(type("validatingadmissionpolicybindings")).size() == 0;
  }

  private void check(Request request) {
    ResourceType policyType = type("validatingadmissionpolicies");
    List<ObjectNode> bindings = resources.cache(type("validatingadmissionpolicybindings")).snapshot(null, o -> true).objects();
    if (bindings.isEmpty()) return;
    Outcome outcome = new Outcome();
    for (ObjectNode binding : bindings) {
      String policyName = binding.path("spec").path("policyName").asString("");
      ObjectNode policy = policyName.isEmpty() ? null : resources.cached(policyType, null, policyName);
      if (policy == null) continue; // kube: a binding to a missing policy is ignored
      if (!PolicyMatch.matches(policy.path("spec").path("matchConstraints"), request, true)) continue;
      JsonNode bindingMatch = binding.path("spec").path("matchResources");
      if (bindingMatch.isObject() && !PolicyMatch.matches(bindingMatch, request, false)) continue;
      evaluate(policy, binding, request, outcome);
    }
    outcome.settle();
  }

  private void evaluate(ObjectNode policy, ObjectNode binding, Request request, Outcome outcome) {
    JsonNode spec = policy.path("spec");
    boolean failClosed = !"Ignore".equals(spec.path("failurePolicy").asString("Fail"));
    Verdicts verdicts = new Verdicts(policy, binding, request, outcome);
    List<Optional<JsonNode>> params = params(spec.path("paramKind"), binding.path("spec").path("paramRef"), request);
    if (params == null) {
      verdicts.failed(0, new Decision("failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction", ""));
      return;
    }
    for (Optional<JsonNode> param : params) {
      Map<String, Object> vars = request.variables(param.orElse(null));
      MatchConditions.Result match = MatchConditions.evaluate(ENVIRONMENT, spec.path("matchConditions"), vars);
      if (match.error() != null) {
        if (failClosed) verdicts.failed(0, new Decision(match.error(), ""));
        continue;
      }
      if (!match.matches()) continue;
      try {
        vars.put("variables", variables(spec, vars));
      } catch (CelCompileException e) {
        if (failClosed) verdicts.failed(0, new Decision(e.getMessage(), ""));
        continue;
      }
      int index = 0;
      for (JsonNode validation : spec.path("validations")) {
        int i = index++;
        String expression = validation.path("expression").asString("");
        try {
          if (ENVIRONMENT.compile(expression).test(vars)) continue;
          verdicts.failed(i, new Decision(message(validation, vars), validation.path("reason").asString("")));
        } catch (CelCompileException | CelEvaluationError e) {
          if (failClosed) verdicts.failed(i, new Decision(CelEnvironment.resultedInError(expression, e), ""));
        }
      }
      auditAnnotations(spec, vars, failClosed, verdicts);
    }
  }

  /**
   * A matching policy's auditAnnotations: a string value (trimmed, at most 10 KiB) is kept under
   * {@code <policy>/<key>}, null or blank leaves it out; another type refuses the request and so does
   * an error under failurePolicy Fail, whatever the binding's actions (kube's AuditAnnotationActionError).
   */
  private static void auditAnnotations(JsonNode spec, Map<String, Object> vars, boolean failClosed, Verdicts verdicts) {
    for (JsonNode a : spec.path("auditAnnotations")) {
      String expression = a.path("valueExpression").asString("");
      Object value;
      try {
        value = ENVIRONMENT.compile(expression).evaluate(vars);
      } catch (CelCompileException | CelEvaluationError e) {
        if (failClosed) verdicts.refused(new Decision(CelEnvironment.resultedInError(expression, e), ""));
        continue;
      }
      if (value == null) continue;
      if (!(value instanceof String text)) {
        verdicts.refused(new Decision("valueExpression '" + expression + "' resulted in unsupported return type: "
            + CelValues.typeName(value) + ". Return type must be either string or null.", ""));
        continue;
      }
      String v = text.trim();
      if (v.isEmpty()) continue;
      if (v.length() > MAX_AUDIT_ANNOTATION_VALUE) v = v.substring(0, MAX_AUDIT_ANNOTATION_VALUE);
      verdicts.annotate(a.path("key").asString(""), v);
    }
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

  private ObjectNode namespaceObject(ResourceType type, String ns) {
    if (!type.namespaced() || ns == null || ns.isEmpty()) return null;
    return resources.cached(type("", "v1", "namespaces"), null, ns);
  }

  /** What the policies made of one request: the denials (the first refuses it) and the audit annotations of each policy. */
  private static final class Outcome {
    final List<StatusException> denials = new ArrayList<>();
    /** By policy, then key: the distinct values its bindings gave (kube's auditAnnotationCollector). */
    final Map<String, Map<String, List<String>>> annotations = new LinkedHashMap<>();

    /** kube's dispatcher: annotations published, then the first denial returned. */
    void settle() {
      annotations.forEach((policy, byKey) -> byKey.forEach((key, values) -> AuditedRequest.annotate(policy + "/" + key, String.join(", ", values))));
      if (!denials.isEmpty()) throw denials.get(0);
    }
  }

  /** What one binding's validationActions do with a policy's failures. */
  private static final class Verdicts {
    private final ObjectNode policy;
    private final ObjectNode binding;
    private final Request request;
    private final Outcome outcome;
    private final List<String> actions = new ArrayList<>();

    Verdicts(ObjectNode policy, ObjectNode binding, Request request, Outcome outcome) {
      this.policy = policy;
      this.binding = binding;
      this.request = request;
      this.outcome = outcome;
      for (JsonNode a : binding.path("spec").path("validationActions")) actions.add(a.asString(""));
    }

    /** A failed validation (or an error under Fail), {@code index} its place among the policy's validations. */
    void failed(int index, Decision decision) {
      for (String action : actions) {
        switch (action) {
          case "Deny" -> refused(decision);
          case "Warn" -> AdmissionWarnings.add("Validation failed for ValidatingAdmissionPolicy '" + name(policy) + "' with binding '"
              + name(binding) + "': " + decision.message());
          case "Audit" -> AuditedRequest.annotate(VALIDATION_FAILURE, validationFailure(index, decision));
          default -> { }
        }
      }
    }

    void refused(Decision decision) {
      outcome.denials.add(denial(policy, binding, request, decision));
    }

    void annotate(String key, String value) {
      List<String> values = outcome.annotations.computeIfAbsent(name(policy), p -> new LinkedHashMap<>())
          .computeIfAbsent(key, k -> new ArrayList<>());
      if (!values.contains(value)) values.add(value);
    }

    /** kube's ValidationFailureValue, in a list. */
    private String validationFailure(int index, Decision decision) {
      ArrayNode list = ObjectCodec.JSON.createArrayNode();
      ObjectNode v = list.addObject().put("message", decision.message()).put("policy", binding.path("spec").path("policyName").asString(""))
          .put("binding", name(binding)).put("expressionIndex", index);
      ArrayNode a = v.putArray("validationActions");
      actions.forEach(a::add);
      return ObjectCodec.JSON.writeValueAsString(list);
    }
  }

  private static String name(ObjectNode o) {
    return o.path("metadata").path("name").asString("");
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

  /**
   * One admission request as policies see it.
   *
   * @param obj null on delete
   * @param old null on create
   * @param name what the request names (the object's, or the pod's for pods/eviction and pods/binding)
   */
  record Request(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts, ObjectNode namespaceObject, String name,
      String namespace) {

    /** A request for the object itself, named as it is. */
    Request(ResourceType type, ObjectNode obj, ObjectNode old, WriteOptions opts, ObjectNode namespaceObject) {
      this(type, obj, old, opts, namespaceObject, metadata(obj != null ? obj : old, "name"), metadata(obj != null ? obj : old, "namespace"));
    }

    private static String metadata(ObjectNode o, String field) {
      return o.path("metadata").path(field).asString("");
    }

    String operation() {
      return obj == null ? "DELETE" : old == null ? "CREATE" : "UPDATE";
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
