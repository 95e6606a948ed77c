package io.keelson.apiserver.audit;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.UserInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * An audit.k8s.io/v1 {@code Policy} ({@code --audit-policy-file}): rules tried in order, the first
 * matching a request deciding its level and the stages left out, as kube's policy checker does.
 * Nothing matching means level None.
 */
public final class AuditPolicy {

  /** What the policy says about one request: its level, the stages not to log, whether to drop managedFields. */
  public record Decision(AuditLevel level, Set<AuditStage> omitStages, boolean omitManagedFields) {
    static final Decision NONE = new Decision(AuditLevel.None, Set.of(), false);

    public boolean logs(AuditStage stage) {
      return level != AuditLevel.None && !omitStages.contains(stage);
    }
  }

  /** A group's resources in a rule; empty resources mean all of the group's, "*" and "*&#47;sub" and "res/*" as in kube. */
  record GroupResources(String group, List<String> resources, List<String> resourceNames) {}

  record Rule(AuditLevel level, List<String> users, List<String> userGroups, List<String> verbs,
      List<GroupResources> resources, List<String> namespaces, List<String> nonResourceURLs,
      Set<AuditStage> omitStages, Boolean omitManagedFields) {}

  private static final YAMLMapper YAML = YAMLMapper.builder().build();
  private static final Set<String> RULE_FIELDS = Set.of("level", "users", "userGroups", "verbs", "resources", "namespaces",
      "nonResourceURLs", "omitStages", "omitManagedFields");

  private final List<Rule> rules;
  private final Set<AuditStage> omitStages;
  private final boolean omitManagedFields;

  AuditPolicy(List<Rule> rules, Set<AuditStage> omitStages, boolean omitManagedFields) {
    this.rules = List.copyOf(rules);
    this.omitStages = omitStages;
    this.omitManagedFields = omitManagedFields;
  }

  /** Reads a policy file; the exception's message names the file and the field that is wrong. */
  public static AuditPolicy load(Path file) {
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("--audit-policy-file " + file + ": cannot read it: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--audit-policy-file " + file + ": " + e.getMessage());
    }
  }

  /** A policy from YAML or JSON; an IllegalArgumentException names the field that is wrong and why. */
  public static AuditPolicy parse(String text) {
    JsonNode doc;
    try {
      doc = YAML.readTree(text);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not a YAML or JSON document: " + e.getOriginalMessage());
    }
    if (doc == null || !doc.isObject()) throw new IllegalArgumentException("not a Policy object");
    String kind = doc.path("kind").asString("");
    if (!kind.equals("Policy")) throw new IllegalArgumentException("kind: Unsupported value: \"" + kind + "\": supported values: \"Policy\"");
    String apiVersion = doc.path("apiVersion").asString("");
    if (!apiVersion.equals("audit.k8s.io/v1")) {
      throw new IllegalArgumentException("apiVersion: Unsupported value: \"" + apiVersion + "\": supported values: \"audit.k8s.io/v1\"");
    }
    Set<AuditStage> omit = stages(doc.path("omitStages"), "omitStages");
    boolean omitManaged = bool(doc.path("omitManagedFields"), "omitManagedFields", false);
    JsonNode rs = doc.path("rules");
    if (!rs.isMissingNode() && !rs.isNull() && !rs.isArray()) throw new IllegalArgumentException("rules: must be a list");
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < rs.size(); i++) rules.add(rule(rs.get(i), "rules[" + i + "]"));
    return new AuditPolicy(rules, omit, omitManaged);
  }

  private static Rule rule(JsonNode r, String at) {
    if (!r.isObject()) throw new IllegalArgumentException(at + ": must be an object");
    for (String f : r.propertyNames()) {
      if (!RULE_FIELDS.contains(f)) throw new IllegalArgumentException(at + "." + f + ": unknown field; a rule has " + String.join(", ", RULE_FIELDS.stream().sorted().toList()));
    }
    AuditLevel level = level(r.path("level").asString(""), at + ".level");
    List<String> nonResourceURLs = strings(r.path("nonResourceURLs"), at + ".nonResourceURLs");
    List<GroupResources> resources = new ArrayList<>();
    JsonNode res = r.path("resources");
    if (!res.isMissingNode() && !res.isNull() && !res.isArray()) throw new IllegalArgumentException(at + ".resources: must be a list");
    for (int j = 0; j < res.size(); j++) {
      JsonNode g = res.get(j);
      String gat = at + ".resources[" + j + "]";
      String group = g.path("group").asString("");
      if (group.contains("/")) throw new IllegalArgumentException(gat + ".group: Invalid value: \"" + group + "\": a group has no '/'");
      resources.add(new GroupResources(group, strings(g.path("resources"), gat + ".resources"),
          strings(g.path("resourceNames"), gat + ".resourceNames")));
    }
    List<String> namespaces = strings(r.path("namespaces"), at + ".namespaces");
    if (!nonResourceURLs.isEmpty() && (!resources.isEmpty() || !namespaces.isEmpty())) {
      throw new IllegalArgumentException(at + ".nonResourceURLs: Invalid value: " + nonResourceURLs
          + ": rules cannot apply to both regular resources and non-resource URLs");
    }
    for (String u : nonResourceURLs) {
      if (u.equals("*")) continue;
      if (!u.startsWith("/")) throw new IllegalArgumentException(at + ".nonResourceURLs: Invalid value: \"" + u + "\": non-resource URL rules must begin with a '/' character");
      if (u.indexOf('*') >= 0 && u.indexOf('*') != u.length() - 1) {
        throw new IllegalArgumentException(at + ".nonResourceURLs: Invalid value: \"" + u + "\": non-resource URL wildcards '*' must be the final character of the rule");
      }
    }
    JsonNode omf = r.path("omitManagedFields");
    return new Rule(level, strings(r.path("users"), at + ".users"), strings(r.path("userGroups"), at + ".userGroups"),
        strings(r.path("verbs"), at + ".verbs"), resources, namespaces, nonResourceURLs,
        stages(r.path("omitStages"), at + ".omitStages"),
        omf.isMissingNode() || omf.isNull() ? null : bool(omf, at + ".omitManagedFields", false));
  }

  private static AuditLevel level(String v, String at) {
    for (AuditLevel l : AuditLevel.values()) if (l.name().equals(v)) return l;
    throw new IllegalArgumentException(at + ": Unsupported value: \"" + v + "\": supported values: "
        + Arrays.stream(AuditLevel.values()).map(l -> "\"" + l + "\"").collect(Collectors.joining(", ")));
  }

  private static Set<AuditStage> stages(JsonNode n, String at) {
    Set<AuditStage> out = EnumSet.noneOf(AuditStage.class);
    for (String s : strings(n, at)) {
      AuditStage st = Arrays.stream(AuditStage.values()).filter(x -> x.name().equals(s)).findFirst().orElseThrow(() ->
          new IllegalArgumentException(at + ": Unsupported value: \"" + s + "\": supported values: "
              + Arrays.stream(AuditStage.values()).map(x -> "\"" + x + "\"").collect(Collectors.joining(", "))));
      out.add(st);
    }
    return out;
  }

  private static List<String> strings(JsonNode n, String at) {
    if (n.isMissingNode() || n.isNull()) return List.of();
    if (!n.isArray()) throw new IllegalArgumentException(at + ": must be a list of strings");
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isString()) throw new IllegalArgumentException(at + ": must be a list of strings, has " + e);
      out.add(e.asString());
    }
    return out;
  }

  private static boolean bool(JsonNode n, String at, boolean dflt) {
    if (n.isMissingNode() || n.isNull()) return dflt;
    if (!n.isBoolean()) throw new IllegalArgumentException(at + ": must be true or false");
    return n.asBoolean();
  }

  /** What the first rule matching the request says; level None when none matches. */
  public Decision decide(UserInfo user, Authorizer.Attributes request) {
    for (Rule r : rules) {
      if (!matches(r, user, request)) continue;
      Set<AuditStage> omit = EnumSet.noneOf(AuditStage.class);
      omit.addAll(omitStages);
      omit.addAll(r.omitStages());
      return new Decision(r.level(), omit, r.omitManagedFields() != null ? r.omitManagedFields() : omitManagedFields);
    }
    return Decision.NONE;
  }

  private static boolean matches(Rule r, UserInfo user, Authorizer.Attributes a) {
    if (!r.users().isEmpty() && (user == null || !r.users().contains(user.username()))) return false;
    if (!r.userGroups().isEmpty() && (user == null || r.userGroups().stream().noneMatch(user.groups()::contains))) return false;
    if (!r.verbs().isEmpty() && !r.verbs().contains(a.verb())) return false;
    if (!r.namespaces().isEmpty() || !r.resources().isEmpty()) return a.resourceRequest() && matchesResource(r, a);
    if (!r.nonResourceURLs().isEmpty()) return !a.resourceRequest() && matchesPath(r.nonResourceURLs(), a.path());
    return true;
  }

  private static boolean matchesResource(Rule r, Authorizer.Attributes a) {
    if (!r.namespaces().isEmpty() && !r.namespaces().contains(nz(a.namespace()))) return false;
    if (r.resources().isEmpty()) return true;
    String resource = a.resource();
    String sub = nz(a.subresource());
    String combined = sub.isEmpty() ? resource : resource + "/" + sub;
    String name = nz(a.name());
    for (GroupResources gr : r.resources()) {
      if (!gr.group().equals(nz(a.group()))) continue;
      if (gr.resources().isEmpty()) return true;
      for (String res : gr.resources()) {
        boolean hit = res.equals(combined) || res.equals("*")
            || (!sub.isEmpty() && res.startsWith("*/") && res.substring(2).equals(sub))
            || (res.endsWith("/*") && res.substring(0, res.length() - 2).equals(resource));
        if (hit && (gr.resourceNames().isEmpty() || gr.resourceNames().contains(name))) return true;
      }
    }
    return false;
  }

  private static boolean matchesPath(List<String> urls, String path) {
    for (String u : urls) {
      if (u.equals("*") || u.equals(path) || (u.endsWith("*") && path.startsWith(u.substring(0, u.length() - 1)))) return true;
    }
    return false;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
