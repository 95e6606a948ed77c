package io.keelson.agent.dns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A resolv.conf: nameservers, search domains and options, read as kubelet reads the host's
 * (the last {@code search} line counts, "." and trailing dots are dropped) and written as the
 * container runtime writes a pod's.
 */
public record ResolvConf(List<String> nameservers, List<String> searches, List<String> options) {

  public static final ResolvConf EMPTY = new ResolvConf(List.of(), List.of(), List.of());

  public ResolvConf {
    nameservers = List.copyOf(nameservers);
    searches = List.copyOf(searches);
    options = List.copyOf(options);
  }

  /** The file at {@code path}; empty when there is none. */
  public static ResolvConf read(Path path) throws IOException {
    try {
      return parse(Files.readString(path));
    } catch (NoSuchFileException e) {
      return EMPTY;
    }
  }

  public static ResolvConf parse(String text) {
    List<String> servers = new ArrayList<>();
    List<String> searches = new ArrayList<>();
    List<String> options = new ArrayList<>();
    for (String line : text.split("\n")) {
      int comment = line.indexOf('#');
      if (comment >= 0) {
        line = line.substring(0, comment);
      }
      comment = line.indexOf(';');
      if (comment >= 0) {
        line = line.substring(0, comment);
      }
      String[] f = line.trim().split("\\s+");
      if (f.length < 2) {
        continue;
      }
      switch (f[0]) {
        case "nameserver" -> servers.add(f[1]);
        case "search", "domain" -> {
          searches.clear(); // the last one wins
          for (int i = 1; i < f.length; i++) {
            if (!f[i].equals(".")) {
              searches.add(f[i].endsWith(".") ? f[i].substring(0, f[i].length() - 1) : f[i]);
            }
          }
        }
        case "options" -> {
          for (int i = 1; i < f.length; i++) {
            options.add(f[i]);
          }
        }
        default -> {
          // sortlist and the like: not passed on to pods
        }
      }
    }
    return new ResolvConf(servers, searches, options);
  }

  /** The file's text: search, nameservers, options (the order containerd writes). */
  public String render() {
    StringBuilder sb = new StringBuilder();
    if (!searches.isEmpty()) {
      sb.append("search ").append(String.join(" ", searches)).append('\n');
    }
    nameservers.forEach(s -> sb.append("nameserver ").append(s).append('\n'));
    if (!options.isEmpty()) {
      sb.append("options ").append(String.join(" ", options)).append('\n');
    }
    return sb.toString();
  }
}
