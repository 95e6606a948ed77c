package io.keelson.apiserver.conversion;

import io.keelson.apiserver.admission.StructuralSchemas;
import io.keelson.apiserver.admission.Validator;
import io.keelson.apiserver.ids.RandomUuids;
import io.keelson.apiserver.resource.CustomResource;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.keelson.apiserver.webhook.WebhookClient;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Versions of a custom resource converted by the definition's conversion webhook (strategy
 * Webhook), as kube-apiextensions-apiserver's webhookConverter does: the objects not at the wanted
 * apiVersion go to the webhook in one {@code ConversionReview}, and each converted object is checked
 * against its original (same kind, name, namespace and uid) and keeps the original's metadata except
 * its labels and annotations, the only metadata a webhook may change. Failures are kube's 500s
 * ({@code conversion webhook for <group>/<version>, Kind=<Kind> failed: ...}).
 */
public final class WebhookConversion implements Conversion {

  /** Where a ConversionReview is POSTed (the definition's clientConfig through a {@link WebhookClient}). */
  @FunctionalInterface
  public interface Endpoint {
    WebhookClient.Answer post(byte[] review) throws WebhookClient.CallFailure;
  }

  /** kube's conversion webhooks have no timeoutSeconds: its webhook client waits 30 s. */
  public static final int TIMEOUT_SECONDS = 30;
  private static final String REVIEW_GROUP = "apiextensions.k8s.io";
  private static final String CALLING = "failed to call webhook: ";

  private final ResourceType served;
  private final String servedApiVersion;
  private final String storedApiVersion;
  private final String kind;
  private final List<String> reviewVersions;
  private final Endpoint endpoint;

  /**
   * @param reviewVersions the definition's conversionReviewVersions: the first of v1 and v1beta1 in it is sent
   */
  public WebhookConversion(ResourceType served, ResourceType stored, List<String> reviewVersions, Endpoint endpoint) {
    this.served = served;
    this.servedApiVersion = served.apiVersion();
    this.storedApiVersion = stored.apiVersion();
    this.kind = served.kind();
    this.reviewVersions = List.copyOf(reviewVersions);
    this.endpoint = endpoint;
  }

  @Override
  public ObjectNode toServed(ObjectNode stored) {
    return convert(List.of(stored), servedApiVersion, false).get(0);
  }

  @Override
  public List<ObjectNode> toServed(List<ObjectNode> stored) {
    return convert(stored, servedApiVersion, true);
  }

  /**
   * A write in the served version: defaulted and validated by that version's schema (422 in its own
   * field names, and the webhook never sees what it could not convert), then converted.
   */
  @Override
  public ObjectNode toStorage(ObjectNode written) {
    CustomResource cr = ResourceRegistry.customOf(served);
    if (cr != null) {
      written = written.deepCopy(); // the argument stays as it was
      StructuralSchemas.applyDefaults(cr, written);
      Validator.validateCustomResource(served, written);
    }
    return convert(List.of(written), storedApiVersion, false).get(0);
  }

  /**
   * {@code objects} at {@code desired}: those already there copied, the others converted by one
   * call. {@code list}: they are a list's items (kube's messages then count them by index).
   */
  List<ObjectNode> convert(List<ObjectNode> objects, String desired, boolean list) {
    List<ObjectNode> out = new ArrayList<>(objects.size());
    List<ObjectNode> toConvert = new ArrayList<>();
    for (ObjectNode o : objects) {
      boolean there = desired.equals(o.path("apiVersion").asString(""));
      out.add(there ? o.deepCopy() : null); // the others: the webhook's answer, below
      if (!there) toConvert.add(o);
    }
    if (toConvert.isEmpty()) return out;
    // kube names the GroupVersionKind of what it converts (the items' for a list)
    String gvk = toConvert.get(0).path("apiVersion").asString("") + ", Kind=" + kind;
    String reviewVersion = reviewVersions.stream().filter(v -> v.equals("v1") || v.equals("v1beta1")).findFirst().orElse(null);
    if (reviewVersion == null) throw failure("no supported conversion review versions");
    String uid = RandomUuids.nextString();
    ObjectNode review = ObjectCodec.JSON.createObjectNode().put("apiVersion", REVIEW_GROUP + "/" + reviewVersion).put("kind", "ConversionReview");
    ObjectNode request = review.putObject("request").put("uid", uid).put("desiredAPIVersion", desired);
    ArrayNode sent = request.putArray("objects");
    toConvert.forEach(sent::add);
    JsonNode converted;
    try {
      converted = convertedObjects(endpoint.post(ObjectCodec.JSON.writeValueAsBytes(review)), reviewVersion, uid);
    } catch (WebhookClient.CallFailure f) {
      // kube's rest client error, without admission's "failed to call webhook" wording
      String why = f.getMessage().startsWith(CALLING) ? f.getMessage().substring(CALLING.length()) : f.getMessage();
      throw failure("conversion webhook for " + gvk + " failed: " + why);
    }
    if (converted.size() != toConvert.size()) {
      throw failure("conversion webhook for " + gvk + " returned " + converted.size() + " objects, expected " + toConvert.size());
    }
    int next = 0;
    for (int i = 0; i < out.size(); i++) {
      ObjectNode original = objects.get(i);
      if (desired.equals(original.path("apiVersion").asString(""))) continue; // not sent
      int index = next++;
      String invalid = "conversion webhook for " + gvk + " returned invalid " + (list ? "converted object at index " + index : "object at index 0");
      if (!(converted.get(index) instanceof ObjectNode c)) throw failure(invalid + ": not an object");
      String gotVersion = c.path("apiVersion").asString("");
      if (!desired.equals(gotVersion)) {
        throw failure(invalid + ": invalid groupVersion (expected " + desired + ", received " + gotVersion + ")");
      }
      String gotKind = c.path("kind").asString("");
      if (!original.path("kind").asString("").equals(gotKind)) {
        throw failure(invalid + ": invalid kind (expected " + original.path("kind").asString("") + ", received " + gotKind + ")");
      }
      String mismatch = sameIdentity(original, c);
      if (mismatch != null) {
        throw failure("conversion webhook for " + gvk + " returned invalid " + (list ? "converted object at index " + index : "object")
            + ": " + mismatch);
      }
      String bad = restoreMetadata(original, c);
      if (bad != null) {
        throw failure("conversion webhook for " + gvk + " returned invalid metadata" + (list ? " in object at index " + index : "")
            + ": " + bad);
      }
      out.set(i, c);
    }
    return out;
  }

  /**
   * kube's answer to a conversion error: a plain error, so a 500 of no particular reason (kubectl:
   * "Error from server: conversion webhook for ...").
   */
  private static StatusException failure(String message) {
    return new StatusException(500, null, message, null, null, List.of());
  }

  /** The response's convertedObjects, after kube's checks of the review around them. */
  private static JsonNode convertedObjects(WebhookClient.Answer answer, String reviewVersion, String uid) throws WebhookClient.CallFailure {
    if (answer.status() < 200 || answer.status() > 299) {
      throw new WebhookClient.CallFailure("the server responded with the status code " + answer.status() + " but did not return more information");
    }
    JsonNode review;
    try {
      review = ObjectCodec.JSON.readTree(answer.body());
    } catch (JacksonException e) {
      throw new WebhookClient.CallFailure(e.getOriginalMessage());
    }
    if (reviewVersion.equals("v1")) {
      // v1 checks what came back; v1beta1 never did, and is kept as lenient
      String gv = review.path("apiVersion").asString("");
      String k = review.path("kind").asString("");
      if (!gv.equals(REVIEW_GROUP + "/v1") || !k.equals("ConversionReview")) {
        throw new WebhookClient.CallFailure("expected webhook response of " + REVIEW_GROUP + "/v1, Kind=ConversionReview, got " + gv + ", Kind=" + k);
      }
    }
    JsonNode resp = review.path("response");
    if (!resp.isObject()) throw new WebhookClient.CallFailure("no response provided");
    if (reviewVersion.equals("v1") && !uid.equals(resp.path("uid").asString(""))) {
      throw new WebhookClient.CallFailure("expected response.uid=\"" + uid + "\", got \"" + resp.path("uid").asString("") + "\"");
    }
    JsonNode result = resp.path("result");
    String status = result.path("status").asString("");
    if (!status.equals("Success")) {
      String message = result.path("message").asString("");
      throw new WebhookClient.CallFailure(!message.isEmpty() ? message : "response.result.status was '" + status + "', not 'Success'");
    }
    JsonNode objects = resp.path("convertedObjects");
    return objects.isArray() ? objects : ObjectCodec.JSON.createArrayNode();
  }

  /** kube's validateConvertedObject: what a webhook may not change. */
  private static String sameIdentity(JsonNode in, JsonNode out) {
    for (String[] f : new String[][] {{"name", "name"}, {"namespace", "namespace"}, {"uid", "UID"}}) {
      String e = in.path("metadata").path(f[0]).asString("");
      String a = out.path("metadata").path(f[0]).asString("");
      if (!e.equals(a)) return "must have the same " + f[1] + ": " + e + " != " + a;
    }
    return null;
  }

  /**
   * kube's restoreObjectMeta: {@code converted} gets the original's metadata, but the labels and
   * annotations the webhook answered (string maps); null when fine, else what is wrong.
   */
  private static String restoreMetadata(ObjectNode original, ObjectNode converted) {
    if (!(converted.get("metadata") instanceof ObjectNode answered)) {
      return converted.has("metadata") ? "invalid metadata in converted object" : "missing metadata in converted object";
    }
    ObjectNode md = original.get("metadata") instanceof ObjectNode m ? m.deepCopy() : ObjectCodec.JSON.createObjectNode();
    for (String field : new String[] {"labels", "annotations"}) {
      JsonNode given = answered.get(field);
      if (given == null || given.isNull()) {
        md.remove(field);
        continue;
      }
      if (!given.isObject()) return "invalid metadata." + field + " in converted object";
      for (var e : given.properties()) {
        if (!e.getValue().isString()) return "metadata." + field + "[" + e.getKey() + "] must be a string in converted object";
      }
      if (!given.equals(md.path(field))) {
        // changed by the webhook: held to the rules of labels and annotations
        List<String> errs = field.equals("labels") ? Validator.labelsAndAnnotations(given, null) : Validator.labelsAndAnnotations(null, given);
        if (!errs.isEmpty()) return StatusException.aggregate(errs);
      }
      md.set(field, given);
    }
    converted.set("metadata", md);
    return null;
  }
}
