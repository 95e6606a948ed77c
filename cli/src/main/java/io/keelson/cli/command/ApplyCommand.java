package io.keelson.cli.command;

import io.keelson.cli.UsageException;
import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.cluster.Query;
import io.keelson.cli.cluster.ResourceKind;
import io.keelson.cli.manifest.ManifestReader;
import io.keelson.cli.manifest.ManifestReader.Manifest;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code keelctl apply -f}: create-or-update. Client-side by default (kubectl's
 * last-applied-configuration annotation and a three-way JSON merge patch), or server-side apply.
 */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description = "Apply a configuration to resources from files, directories or stdin (create or update).",
    footer = {"", "Examples:", "  keelctl apply -f deploy.yaml", "  keelctl apply -R -f manifests/",
        "  cat pod.yaml | keelctl apply -f -", "  keelctl apply --server-side -f deploy.yaml"})
public final class ApplyCommand extends ClusterCommand {
  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE",
      description = "File, directory or - for stdin (repeatable).")
  List<String> files = new ArrayList<>();

  @Option(names = {"-R", "--recursive"}, description = "Process directories recursively.")
  boolean recursive;

  @Option(names = "--server-side", description = "Use server-side apply (field manager keelctl).")
  boolean serverSide;

  @Option(names = "--force-conflicts", description = "With --server-side: take over conflicting fields.")
  boolean forceConflicts;

  @Option(names = "--dry-run", paramLabel = "none|server", defaultValue = "none",
      description = "server: validate on the server without persisting.")
  String dryRun;

  @Option(names = {"-o", "--output"}, description = "name: print only type/name.")
  String output;

  @Override
  protected int run() throws Exception {
    if (!dryRun.equals("none") && !dryRun.equals("server") && !dryRun.equals("client")) {
      throw new UsageException("--dry-run must be none, server or client");
    }
    List<Manifest> manifests = new ManifestReader(System.in).read(files, recursive);
    if (manifests.isEmpty()) {
      throw new UsageException("no objects passed to apply");
    }
    Cluster c = cluster();
    int errors = 0;
    for (Manifest m : manifests) {
      try {
        String result = apply(c, m.object());
        String name = c.kinds().resolve(m.object().get("apiVersion").asString(), m.object().get("kind").asString())
            .qualifiedName() + "/" + m.object().path("metadata").path("name").asString();
        String suffix = dryRun.equals("server") ? " (server dry run)" : dryRun.equals("client") ? " (dry run)" : "";
        System.out.println("name".equals(output) ? name : name + " " + result + suffix);
      } catch (RuntimeException e) {
        errors++;
        System.err.println("error: " + m.source() + ": " + e.getMessage());
      }
    }
    return errors == 0 ? 0 : 1;
  }

  /** Applies one object; returns created, configured or unchanged. */
  String apply(Cluster c, ObjectNode manifest) {
    ResourceKind kind = c.kinds().resolve(manifest.get("apiVersion").asString(), manifest.get("kind").asString());
    ObjectNode obj = manifest.deepCopy();
    ObjectNode md = (ObjectNode) obj.get("metadata");
    String ns = kind.namespaced() ? md.path("namespace").asString(namespace()) : null;
    if (kind.namespaced()) {
      md.put("namespace", ns);
    }
    String name = md.path("name").asString();
    String path = kind.objectPath(ns, name);
    JsonNode current = c.find(path);
    String dry = dryRun.equals("server") ? "All" : null;
    if (dryRun.equals("client")) {
      return current == null ? "created" : "configured";
    }
    if (serverSide) {
      String url = Query.of().add("fieldManager", "keelctl").add("force", Boolean.toString(forceConflicts))
          .add("dryRun", dry).on(path);
      JsonNode after = c.patch(url, "application/apply-patch+yaml", obj.toString());
      if (current == null) {
        return "created";
      }
      return rv(current).equals(rv(after)) ? "unchanged" : "serverside-applied";
    }
    ObjectNode lastApplied = manifest.deepCopy();
    stripLastApplied(lastApplied);
    if (kind.namespaced()) {
      ((ObjectNode) lastApplied.get("metadata")).put("namespace", ns);
    }
    String lastAppliedText = lastApplied.toString();
    ObjectNode annotations = md.has("annotations") && md.get("annotations").isObject()
        ? (ObjectNode) md.get("annotations") : md.putObject("annotations");
    annotations.put(LAST_APPLIED, lastAppliedText + "\n");
    if (current == null) {
      String url = Query.of().add("fieldManager", "kubectl-client-side-apply").add("dryRun", dry)
          .on(kind.collectionPath(ns));
      c.post(url, obj);
      return "created";
    }
    JsonNode previous = previousApplied(current);
    ObjectNode patch = MergePatch.threeWay(previous, obj, current);
    if (root().verbose) {
      System.err.println("apply: merge patch for " + path + ": " + patch);
    }
    if (patch.isEmpty()) {
      return "unchanged";
    }
    String url = Query.of().add("fieldManager", "kubectl-client-side-apply").add("dryRun", dry).on(path);
    JsonNode after = c.patch(url, "application/merge-patch+json", patch.toString());
    return rv(current).equals(rv(after)) && dry == null ? "unchanged" : "configured";
  }

  private static String rv(JsonNode o) {
    return o.path("metadata").path("resourceVersion").asString("");
  }

  private static void stripLastApplied(ObjectNode o) {
    JsonNode ann = o.path("metadata").path("annotations");
    if (ann.isObject()) {
      ((ObjectNode) ann).remove(LAST_APPLIED);
      if (ann.isEmpty()) {
        ((ObjectNode) o.get("metadata")).remove("annotations");
      }
    }
  }

  private static JsonNode previousApplied(JsonNode current) {
    String text = current.path("metadata").path("annotations").path(LAST_APPLIED).asString("");
    if (text.isBlank()) {
      return null;
    }
    try {
      return Cluster.JSON.readTree(text);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
