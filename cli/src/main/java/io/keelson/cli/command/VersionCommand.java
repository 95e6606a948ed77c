package io.keelson.cli.command;

import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import tools.jackson.databind.JsonNode;

/** {@code keelctl version}: client version and the server's /version. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the client and server versions.")
public final class VersionCommand extends ClusterCommand {
  static String clientVersion() {
    String v = VersionCommand.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }

  /** Version for --version. */
  public static final class Provider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"keelctl " + clientVersion()};
    }
  }

  @Override
  protected int run() {
    System.out.println("Client Version: keelctl " + clientVersion());
    JsonNode v = cluster().get("/version");
    System.out.println("Server Version: " + v.path("gitVersion").asString("unknown"));
    return 0;
  }
}
