package io.keelson.cli;

import io.keelson.cli.cluster.ApiException;
import io.keelson.cli.cluster.Cluster;
import io.keelson.cli.command.ApplyCommand;
import io.keelson.cli.command.CompareCommand;
import io.keelson.cli.command.CompletionCommand;
import io.keelson.cli.command.DeleteCommand;
import io.keelson.cli.command.DescribeCommand;
import io.keelson.cli.command.ExecCommand;
import io.keelson.cli.command.GetCommand;
import io.keelson.cli.command.LogsCommand;
import io.keelson.cli.command.NodeMaintenanceCommands;
import io.keelson.cli.command.NodesCommand;
import io.keelson.cli.command.RolloutCommand;
import io.keelson.cli.command.ScaleCommand;
import io.keelson.cli.command.TopCommand;
import io.keelson.cli.command.VersionCommand;
import io.keelson.cli.output.Terminal;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * keelctl: a kubectl-like CLI for Keelson (and any Kubernetes API server), plus Keelson's own
 * commands (nodes, compare). Exit codes: 0 ok, 1 error, 2 usage.
 */
@Command(
    name = "keelctl",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = {
      "Control a Keelson cluster (or any Kubernetes cluster): containers and VMs from the same YAML.",
      "Reads $KUBECONFIG, then ~/.keelson/kubeconfig, then ~/.kube/config."
    },
    subcommands = {
      ApplyCommand.class,
      GetCommand.class,
      DescribeCommand.class,
      DeleteCommand.class,
      LogsCommand.class,
      ExecCommand.class,
      io.keelson.cli.command.ConsoleCommand.class,
      ScaleCommand.class,
      RolloutCommand.class,
      TopCommand.class,
      NodeMaintenanceCommands.Cordon.class,
      NodeMaintenanceCommands.Uncordon.class,
      NodeMaintenanceCommands.Drain.class,
      NodesCommand.class,
      CompareCommand.class,
      CompletionCommand.class,
      VersionCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Examples:",
      "  keelctl apply -f deploy.yaml",
      "  keelctl get pods -o wide",
      "  keelctl nodes                      # runtimes (runc, vm) and VM acceleration per node",
      "  keelctl compare                    # the same pod as a container and as a VM, side by side"
    })
public final class Keelctl implements java.util.concurrent.Callable<Integer> {
  @Option(names = "--kubeconfig", scope = ScopeType.INHERIT, paramLabel = "PATH",
      description = "Path to the kubeconfig file.")
  String kubeconfig;

  @Option(names = "--context", scope = ScopeType.INHERIT, description = "The kubeconfig context to use.")
  String context;

  @Option(names = {"-n", "--namespace"}, scope = ScopeType.INHERIT, paramLabel = "NS",
      description = "The namespace (default: the context's, else 'default').")
  String namespace;

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT, description = "Print stack traces on errors.")
  public boolean verbose;

  private Cluster cluster;

  public synchronized Cluster cluster() {
    if (cluster == null) {
      cluster = Cluster.connect(kubeconfig, context, namespace);
    }
    return cluster;
  }

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    System.err.println("error: a command is required");
    spec.commandLine().usage(System.err);
    return 2;
  }

  public static CommandLine commandLine() {
    Keelctl root = new Keelctl();
    CommandLine cl = new CommandLine(root);
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (root.verbose) {
            ex.printStackTrace();
          }
          String msg = describe(ex);
          System.err.println(Terminal.colour() ? Terminal.red("error: ") + msg : "error: " + msg);
          return ex instanceof UsageException ? 2 : 1;
        });
    return cl;
  }

  private static String describe(Throwable ex) {
    if (ex instanceof ApiException a) {
      return a.getMessage();
    }
    if (ex instanceof io.fabric8.kubernetes.client.KubernetesClientException k && k.getStatus() != null
        && k.getStatus().getMessage() != null) {
      return k.getStatus().getMessage();
    }
    String m = ex.getMessage();
    return m == null ? ex.toString() : m;
  }

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    System.out.flush();
    // The fabric8 client leaves non-daemon threads behind; exit explicitly.
    System.exit(code);
  }
}
