package io.keelson.apiserver.webhook;

import io.keelson.apiserver.admission.AdmissionWarnings;
import io.keelson.apiserver.audit.AuditedRequest;
import io.keelson.apiserver.auth.UserInfo;
import io.keelson.apiserver.cel.CelEnvironment;
import io.keelson.apiserver.cel.CelValues;
import io.keelson.apiserver.cel.MatchConditions;
import io.keelson.apiserver.patch.PatchApplier;
import io.keelson.apiserver.registry.DynamicAdmission;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.watch.WatchCache;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * kube-apiserver's MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins: every write a
 * webhook's rules and selectors match is sent to it as an admission.k8s.io/v1 AdmissionReview.
 * Mutating webhooks run one after the other in configuration-name order, their JSONPatches applied
 * in turn (and those with reinvocationPolicy IfNeeded called once more when a later one changed the
 * object); validating webhooks run in parallel after validation. A webhook's matchConditions (CEL
 * over {@code object}, {@code oldObject} and {@code request}; kube's {@code authorizer} is not offered)
 * must all hold for it to be called. What webhooks answer in auditAnnotations goes to the request's
 * audit event ({@link AuditedRequest#annotate}).
 */
public final class WebhookAdmission implements DynamicAdmission {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookAdmission.class);
  static final String GROUP = "admissionregistration.k8s.io";
  /** Where matchConditions compile: the AdmissionRequest's parts (kube also has authorizer, not offered here). */
  private static final CelEnvironment ENVIRONMENT = new CelEnvironment(List.of("object", "oldObject", "request"), List.of());
  /** Who the api-server's own writes (node status from the agents' gRPC stream, its controllers) are from. */
  private static final UserInfo API_SERVER = new UserInfo("system:apiserver", "", List.of("system:masters", "system:authenticated"));

  /** The kinds of the subresources whose objects are not their resource's (kube's subresource storage kinds). */
  private static final Map<String, String[]> SUBRESOURCE_KINDS = Map.of(
      "eviction", new String[] {"policy", "v1", "Eviction"}, "binding", new String[] {"", "v1", "Binding"});

  /** One webhook of a configuration, with its client; failure is why no client could be made (a bad caBundle). */
  record Webhook(String name, JsonNode spec, boolean mutating, WebhookClient client, String failure) {
    String failurePolicy() {
      return spec.path("failurePolicy").asString("Fail");
    }
  }

  /**
   * What a call came to: the object as patched (mutating only), the warnings, or a refusal, and the
   * annotations for the request's audit event (the webhook's auditAnnotations as {@code <webhook>/<key>},
   * or kube's failed-open mark).
   */
  record Outcome(ObjectNode object, List<String> warnings, StatusException refusal, Map<String, String> annotations) {
    Outcome(ObjectNode object, List<String> warnings, StatusException refusal) {
      this(object, warnings, refusal, Map.of());
    }
  }

  /** kube's mark of a validating webhook that failed open under failurePolicy Ignore, by its place among the called ones. */
  private static final String FAILED_OPEN = "failed-open.validating.webhook.admission.k8s.io/round_0_index_";

  private final ResourceService resources;
  private final ResourceType mutatingType = ResourceRegistry.find(GROUP, "v1", "mutatingwebhookconfigurations").orElseThrow();
  private final ResourceType validatingType = ResourceRegistry.find(GROUP, "v1", "validatingwebhookconfigurations").orElseThrow();
  private final ResourceType namespaces = ResourceRegistry.find("", "v1", "namespaces").orElseThrow();
  /** The webhooks of each configuration generation (by uid and resourceVersion): the clients live as long as it does. */
  private final Map<String, List<Webhook>> generations = new ConcurrentHashMap<>();
  private final ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor();

  public WebhookAdmission(ResourceService resources) {
    this.resources = resources;
  }

  /** Where webhooks' matchConditions compile (for the validation of configurations when they are written). */
  public static CelEnvironment environment() {
    return ENVIRONMENT;
  }

  /** kube never sends the admission configuration objects themselves to webhooks: a bad webhook could not be removed. */
  private static boolean exempt(ResourceType type) {
    return type.group().equals(GROUP);
  }

  @Override
  public ObjectNode mutate(Attributes a) {
    if (exempt(a.type())) return a.object();
    List<Webhook> hooks = webhooks(mutatingType, true);
    if (hooks.isEmpty()) return a.object();
    ObjectNode namespace = namespaceOf(a);
    ObjectNode obj = a.object();
    List<Webhook> invoked = new ArrayList<>();
    int lastChange = -1;
    for (Webhook w : hooks) {
      Attributes now = a.withObject(obj);
      if (!matches(w, now, namespace)) continue;
      invoked.add(w);
      ObjectNode out = settle(w, now, null);
      if (out != obj) {
        obj = out;
        lastChange = invoked.size() - 1;
      }
    }
    // reinvocationPolicy IfNeeded: once more for those that saw the object before a later webhook changed it
    for (int i = 0; i < lastChange; i++) {
      Webhook w = invoked.get(i);
      if (w.spec().path("reinvocationPolicy").asString("Never").equals("IfNeeded")) obj = settle(w, a.withObject(obj), null);
    }
    return obj;
  }

  @Override
  public void validate(Attributes a) {
    if (exempt(a.type())) return;
    List<Webhook> hooks = webhooks(validatingType, false);
    if (hooks.isEmpty()) return;
    ObjectNode namespace = namespaceOf(a);
    List<Webhook> matching = hooks.stream().filter(w -> matches(w, a, namespace)).toList();
    if (matching.size() == 1) {
      settle(matching.get(0), a, FAILED_OPEN + 0);
      return;
    }
    List<Future<Outcome>> calls = new ArrayList<>();
    for (int i = 0; i < matching.size(); i++) {
      Webhook w = matching.get(i);
      String failedOpen = FAILED_OPEN + i;
      calls.add(parallel.submit(() -> call(w, a, failedOpen)));
    }
    StatusException first = null;
    for (Future<Outcome> f : calls) {
      Outcome o;
      try {
        o = f.get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof StatusException s) o = new Outcome(null, List.of(), s);
        else throw new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw StatusException.unavailable("interrupted while calling validating admission webhooks");
      }
      o.warnings().forEach(AdmissionWarnings::add);
      o.annotations().forEach(AuditedRequest::annotate); // here: the calls ran on other threads than the request's
      if (first == null) first = o.refusal();
    }
    if (first != null) throw first;
  }

  /** A call's outcome on this request: warnings and annotations kept, a refusal thrown, the object (as patched) returned. */
  private ObjectNode settle(Webhook w, Attributes a, String failedOpen) {
    Outcome o = call(w, a, failedOpen);
    o.warnings().forEach(AdmissionWarnings::add);
    o.annotations().forEach(AuditedRequest::annotate);
    if (o.refusal() != null) throw o.refusal();
    return o.object();
  }

  private boolean matches(Webhook w, Attributes a, ObjectNode namespace) {
    return WebhookRules.anyRuleMatches(w.spec().path("rules"), a)
        && WebhookRules.namespaceMatches(w.spec().path("namespaceSelector"), a, namespace)
        && WebhookRules.objectMatches(w.spec().path("objectSelector"), a)
        && conditionsHold(w, a);
  }

  /**
   * kube's ShouldCallHook: every matchCondition true calls the webhook, a false one skips it; when
   * one fails, failurePolicy Ignore skips it and Fail refuses the request (403, as kube).
   */
  private static boolean conditionsHold(Webhook w, Attributes a) {
    JsonNode conditions = w.spec().path("matchConditions");
    if (conditions.isEmpty()) return true;
    Map<String, Object> vars = new HashMap<>();
    vars.put("object", CelValues.of(a.object()));
    vars.put("oldObject", CelValues.of(a.oldObject()));
    ObjectNode request = (ObjectNode) review(w, a).path("request"); // the AdmissionRequest the webhook would be sent
    request.remove(List.of("object", "oldObject"));
    vars.put("request", CelValues.of(request));
    MatchConditions.Result r = MatchConditions.evaluate(ENVIRONMENT, conditions, vars);
    if (r.error() == null) return r.matches();
    if (w.failurePolicy().equals("Ignore")) {
      LOG.warn("matchConditions of admission webhook {} failed and the webhook is skipped (failurePolicy Ignore): {}", w.name(), r.error());
      return false;
    }
    throw StatusException.forbidden(a.type(), a.name() == null ? "" : a.name(), r.error());
  }

  private ObjectNode namespaceOf(Attributes a) {
    return a.namespace() == null || a.namespace().isEmpty() ? null : resources.cached(namespaces, null, a.namespace());
  }

  /** The webhooks of every configuration of {@code type}, configurations by name as kube orders them. */
  List<Webhook> webhooks(ResourceType type, boolean mutating) {
    WatchCache cache = resources.cache(type);
    if (cache == null || cache.size() == 0) return List.of();
    List<ObjectNode> configs = cache.snapshot(null, o -> true).objects(); // in key order: by name
    List<Webhook> out = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (ObjectNode c : configs) {
      String generation = c.path("metadata").path("uid").asString("") + "/" + ObjectCodec.resourceVersion(c);
      current.add(generation);
      out.addAll(generations.computeIfAbsent(generation, g -> compile(c, mutating)));
    }
    if (generations.size() > current.size()) generations.keySet().removeIf(g -> !current.contains(g) && !other(g, mutating));
    return out;
  }

  /** Whether a generation belongs to the other kind's configurations (kept while they exist). */
  private boolean other(String generation, boolean mutating) {
    WatchCache cache = resources.cache(mutating ? validatingType : mutatingType);
    for (ObjectNode c : cache.snapshot(null, o -> true).objects()) {
      if (generation.equals(c.path("metadata").path("uid").asString("") + "/" + ObjectCodec.resourceVersion(c))) return true;
    }
    return false;
  }

  private static List<Webhook> compile(ObjectNode config, boolean mutating) {
    List<Webhook> hooks = new ArrayList<>();
    for (JsonNode spec : config.path("webhooks")) {
      String name = spec.path("name").asString("");
      try {
        hooks.add(new Webhook(name, spec, mutating, new WebhookClient(spec.path("clientConfig").path("caBundle").asString("")), null));
      } catch (Exception e) {
        hooks.add(new Webhook(name, spec, mutating, null, "could not get REST client: unable to load root certificates: " + e.getMessage()));
      }
    }
    return hooks;
  }

  /** One call, failurePolicy applied to a failed one; {@code failedOpen}: the audit annotation of an ignored failure (null: none). */
  private Outcome call(Webhook w, Attributes a, String failedOpen) {
    String effects = w.spec().path("sideEffects").asString("Unknown");
    if (a.dryRun() && !effects.equals("None") && !effects.equals("NoneOnDryRun")) {
      throw StatusException.badRequest("admission webhook \"" + w.name() + "\" does not support dry run");
    }
    try {
      return answer(w, a, send(w, a, review(w, a)));
    } catch (WebhookClient.CallFailure f) {
      if (w.failurePolicy().equals("Ignore")) {
        LOG.warn("admission webhook {} failed and was ignored (failurePolicy Ignore): {}", w.name(), f.getMessage());
        return new Outcome(a.object(), List.of(), null, failedOpen == null ? Map.of() : Map.of(failedOpen, w.name()));
      }
      throw StatusException.internal("Internal error occurred: failed calling webhook \"" + w.name() + "\": " + f.getMessage());
    }
  }

  private record Sent(ObjectNode review, WebhookClient.Answer answer) {}

  private Sent send(Webhook w, Attributes a, ObjectNode review) throws WebhookClient.CallFailure {
    if (w.client() == null) throw new WebhookClient.CallFailure(w.failure());
    byte[] body = ObjectCodec.JSON.writeValueAsBytes(review);
    WebhookClient.Answer answer = w.client().post(resources, w.spec().path("clientConfig"), body, w.spec().path("timeoutSeconds").asInt(10));
    return new Sent(review, answer);
  }

  /** The AdmissionReview kube sends: the request's who, what and how, with the object before and after. */
  private static ObjectNode review(Webhook w, Attributes a) {
    String version = "v1";
    List<String> accepted = new ArrayList<>();
    for (JsonNode v : w.spec().path("admissionReviewVersions")) accepted.add(v.asString(""));
    if (!accepted.contains("v1") && accepted.contains("v1beta1")) version = "v1beta1"; // the same shape
    ObjectNode review = ObjectCodec.JSON.createObjectNode().put("apiVersion", "admission.k8s.io/" + version).put("kind", "AdmissionReview");
    ObjectNode r = review.putObject("request");
    r.put("uid", io.keelson.apiserver.ids.RandomUuids.nextString());
    ResourceType t = a.type();
    String[] kind = SUBRESOURCE_KINDS.getOrDefault(a.subresource() == null ? "" : a.subresource(), new String[] {t.group(), t.version(), t.kind()});
    r.putObject("kind").put("group", kind[0]).put("version", kind[1]).put("kind", kind[2]);
    r.putObject("resource").put("group", t.group()).put("version", t.version()).put("resource", t.resource());
    if (a.subresource() != null) r.put("subResource", a.subresource());
    r.set("requestKind", r.get("kind").deepCopy());
    r.set("requestResource", r.get("resource").deepCopy());
    if (a.subresource() != null) r.put("requestSubResource", a.subresource());
    if (a.name() != null && !a.name().isEmpty()) r.put("name", a.name());
    if (a.namespace() != null && !a.namespace().isEmpty()) r.put("namespace", a.namespace());
    r.put("operation", a.operation());
    UserInfo user = a.user() == null ? API_SERVER : a.user();
    ObjectNode u = r.putObject("userInfo").put("username", user.username());
    if (user.uid() != null && !user.uid().isEmpty()) u.put("uid", user.uid());
    user.groups().forEach(u.putArray("groups")::add);
    if (a.object() != null) r.set("object", a.object());
    else r.putNull("object");
    if (a.oldObject() != null) r.set("oldObject", a.oldObject());
    else r.putNull("oldObject");
    r.put("dryRun", a.dryRun());
    if (a.options() != null) r.set("options", a.options());
    return review;
  }

  /** Reads the AdmissionReview a webhook answered: its verdict, warnings and (mutating only) patch. */
  private Outcome answer(Webhook w, Attributes a, Sent sent) throws WebhookClient.CallFailure {
    WebhookClient.Answer answer = sent.answer();
    if (answer.status() < 200 || answer.status() > 299) {
      throw new WebhookClient.CallFailure("failed to call webhook: the server responded with the status code " + answer.status()
          + " but did not return more information");
    }
    JsonNode review;
    try {
      review = ObjectCodec.JSON.readTree(answer.body());
    } catch (JacksonException e) {
      throw new WebhookClient.CallFailure("received invalid webhook response: " + e.getOriginalMessage());
    }
    JsonNode resp = review.path("response");
    if (!resp.isObject()) throw new WebhookClient.CallFailure("received invalid webhook response: webhook response was absent");
    String uid = sent.review().path("request").path("uid").asString();
    if (!uid.equals(resp.path("uid").asString(""))) {
      throw new WebhookClient.CallFailure("received invalid webhook response: expected response.uid=\"" + uid + "\", got \""
          + resp.path("uid").asString("") + "\"");
    }
    List<String> warnings = new ArrayList<>();
    for (JsonNode warning : resp.path("warnings")) if (!warning.asString("").isBlank()) warnings.add(warning.asString());
    Map<String, String> annotations = new LinkedHashMap<>(); // kept whatever the verdict, as kube's
    for (Map.Entry<String, JsonNode> e : resp.path("auditAnnotations").properties()) {
      annotations.put(w.name() + "/" + e.getKey(), e.getValue().asString(""));
    }
    if (!resp.path("allowed").asBoolean(false)) return new Outcome(null, warnings, denial(w.name(), resp.path("status")), annotations);
    if (!w.mutating() || !resp.hasNonNull("patch") || a.object() == null) return new Outcome(a.object(), warnings, null, annotations);
    return new Outcome(patched(w.name(), a.object(), resp, a.type()), warnings, null, annotations);
  }

  /**
   * {@code object} with a mutating webhook's JSONPatch applied; {@code object} itself when the patch
   * changes nothing. A patch that is not a JSONPatch or does not apply is the api-server's 500, as in kube.
   */
  static ObjectNode patched(String webhook, ObjectNode object, JsonNode response, ResourceType type) {
    if (!"JSONPatch".equals(response.path("patchType").asString(""))) {
      throw StatusException.internal("Internal error occurred: admission webhook \"" + webhook
          + "\" returned response.patch but not response.patchType JSONPatch");
    }
    ObjectNode patched;
    try {
      patched = PatchApplier.apply(PatchApplier.JSON_PATCH, object, Base64.getDecoder().decode(response.path("patch").asString()), type);
    } catch (StatusException | IllegalArgumentException e) {
      throw StatusException.internal("Internal error occurred: admission webhook \"" + webhook + "\" returned a patch that does not apply: "
          + e.getMessage());
    }
    return patched.equals(object) ? object : patched;
  }

  /** kube's ToStatusErr: the webhook's code (at least 400) and message, named after the webhook. */
  static StatusException denial(String webhook, JsonNode status) {
    int code = status.path("code").asInt(0);
    if (code < 400) code = 400;
    String deniedBy = "admission webhook \"" + webhook + "\" denied the request";
    String message = status.path("message").asString("");
    String reason = status.path("reason").asString("");
    String text = !message.isEmpty() ? deniedBy + ": " + message : !reason.isEmpty() ? deniedBy + ": " + reason : deniedBy + " without explanation";
    return new StatusException(code, reason.isEmpty() ? null : reason, text, null, null, List.of());
  }
}
