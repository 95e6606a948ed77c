package io.keelson.apiserver.selection;

import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Field selectors ({@code metadata.name=x,spec.nodeName!=}) restricted, as in Kubernetes, to the
 * fields each kind supports.
 */
public final class FieldSelector implements Predicate<ObjectNode> {

  private static final Set<String> COMMON = Set.of("metadata.name", "metadata.namespace");
  private static final Map<String, Set<String>> BY_KIND = Map.of(
      "Pod", Set.of("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
          "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"),
      "Event", Set.of("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
          "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
          "reportingComponent", "source", "type", "regarding.kind", "regarding.name", "regarding.namespace",
          "regarding.uid", "reportingController"),
      "Secret", Set.of("type"),
      "Node", Set.of("spec.unschedulable"),
      "Namespace", Set.of("status.phase"),
      "ReplicaSet", Set.of("status.replicas"));

  record Term(String field, boolean equals, String value) {}

  public static final FieldSelector EVERYTHING = new FieldSelector(List.of());

  private final List<Term> terms;

  private FieldSelector(List<Term> terms) {
    this.terms = terms;
  }

  public boolean isEverything() {
    return terms.isEmpty();
  }

  /** The value required for metadata.name, if the selector pins it (lets GET-like lists skip a scan). */
  public String exactName() {
    for (Term t : terms) if (t.equals && t.field.equals("metadata.name")) return t.value;
    return null;
  }

  /** The same selector with field labels renamed ({@code old → new}): a view's labels as its storage names them. */
  public FieldSelector renamed(Map<String, String> labels) {
    if (terms.isEmpty()) return this;
    List<Term> out = new ArrayList<>(terms.size());
    for (Term t : terms) out.add(new Term(labels.getOrDefault(t.field, t.field), t.equals, t.value));
    return new FieldSelector(out);
  }

  @Override
  public boolean test(ObjectNode obj) {
    for (Term t : terms) {
      String v = valueOf(obj, t.field);
      if (t.equals != v.equals(t.value)) return false;
    }
    return true;
  }

  private static String valueOf(ObjectNode obj, String field) {
    if (field.equals("source")) return obj.path("source").path("component").asString("");
    JsonNode n = obj;
    for (String p : field.split("\\.")) n = n.path(p);
    if (n.isMissingNode() || n.isNull()) return field.equals("spec.unschedulable") || field.equals("spec.hostNetwork") ? "false" : "";
    return n.asString();
  }

  public static FieldSelector parse(String s, ResourceType type) {
    if (s == null || s.isBlank()) return EVERYTHING;
    List<Term> terms = new ArrayList<>();
    for (String part : s.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) continue;
      int i;
      boolean eq;
      int len;
      if ((i = p.indexOf("!=")) > 0) {
        eq = false;
        len = 2;
      } else if ((i = p.indexOf("==")) > 0) {
        eq = true;
        len = 2;
      } else if ((i = p.indexOf('=')) > 0) {
        eq = true;
        len = 1;
      } else {
        throw StatusException.badRequest("invalid field selector \"" + s + "\": expected field=value, field==value or field!=value");
      }
      String f = p.substring(0, i).trim();
      String v = p.substring(i + len).trim();
      if (!COMMON.contains(f) && !BY_KIND.getOrDefault(type.kind(), Set.of()).contains(f)) {
        throw StatusException.badRequest("field label not supported: " + f);
      }
      terms.add(new Term(f, eq, v));
    }
    return new FieldSelector(terms);
  }
}
