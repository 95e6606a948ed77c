package io.keelson.cli.manifest;

import io.keelson.cli.output.Formats;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads manifests for apply/delete -f: files, directories (.yaml/.yml/.json; recursive with -R),
 * stdin ("-"), multi-document YAML, and v1 List objects (their items).
 */
public final class ManifestReader {
  /** One object and where it came from (for error messages). */
  public record Manifest(ObjectNode object, String source) {}

  private final InputStream stdin;

  public ManifestReader(InputStream stdin) {
    this.stdin = stdin;
  }

  public List<Manifest> read(List<String> paths, boolean recursive) throws IOException {
    List<Manifest> out = new ArrayList<>();
    for (String p : paths) {
      if (p.equals("-")) {
        parse(new String(stdin.readAllBytes(), StandardCharsets.UTF_8), "stdin", out);
        continue;
      }
      Path path = Path.of(p);
      if (Files.isDirectory(path)) {
        List<Path> files;
        try (Stream<Path> s = recursive ? Files.walk(path) : Files.list(path)) {
          files = s.filter(Files::isRegularFile).filter(ManifestReader::isManifest).sorted().toList();
        }
        for (Path f : files) {
          parse(Files.readString(f), f.toString(), out);
        }
      } else if (Files.isRegularFile(path)) {
        parse(Files.readString(path), p, out);
      } else {
        throw new IOException("the path \"" + p + "\" does not exist");
      }
    }
    return out;
  }

  private static boolean isManifest(Path p) {
    String n = p.getFileName().toString();
    return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
  }

  /** Parses one text holding any number of YAML documents (JSON is YAML too). */
  public static void parse(String text, String source, List<Manifest> out) {
    try (MappingIterator<JsonNode> it = Formats.YAML.readerFor(JsonNode.class).readValues(text)) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc == null || doc.isNull() || doc.isMissingNode() || (doc.isObject() && doc.isEmpty())) {
          continue;
        }
        if (!doc.isObject()) {
          throw new IllegalArgumentException(source + ": a document is not an object");
        }
        ObjectNode o = (ObjectNode) doc;
        String kind = o.path("kind").asString("");
        if (kind.endsWith("List") && o.has("items")) {
          for (JsonNode item : o.get("items")) {
            out.add(new Manifest((ObjectNode) item, source));
          }
          continue;
        }
        if (kind.isEmpty() || o.path("apiVersion").asString("").isEmpty()) {
          throw new IllegalArgumentException(source + ": object has no apiVersion/kind");
        }
        if (o.path("metadata").path("name").asString("").isEmpty()
            && o.path("metadata").path("generateName").asString("").isEmpty()) {
          throw new IllegalArgumentException(source + ": " + kind + " has no metadata.name");
        }
        out.add(new Manifest(o, source));
      }
    }
  }
}
