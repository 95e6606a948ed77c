package io.keelson.cli.command;

import io.fabric8.kubernetes.client.dsl.ContainerResource;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.dsl.Execable;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.dsl.TtyExecErrorable;
import io.keelson.cli.UsageException;
import io.keelson.cli.output.Terminal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keelctl exec}: runs a command in a container (or inside a VM pod's guest) over the
 * WebSocket exec protocol; the remote exit code becomes keelctl's exit code.
 */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    description = "Execute a command in a container: keelctl exec [-it] POD [-c C] -- CMD [ARGS...]",
    footer = {"", "Examples:", "  keelctl exec web-7d9f-abcde -- uname -r", "  keelctl exec -it web-7d9f-abcde -- sh"})
public final class ExecCommand extends ClusterCommand {
  @Parameters(index = "0", paramLabel = "POD | TYPE/NAME")
  String target;

  @Parameters(index = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
  List<String> command = new ArrayList<>();

  @Option(names = {"-c", "--container"}, description = "Container name (default: the first).")
  String container;

  @Option(names = {"-i", "--stdin"}, description = "Pass stdin to the command.")
  boolean stdin;

  @Option(names = {"-t", "--tty"}, description = "Allocate a terminal (raw mode when stdin is a terminal).")
  boolean tty;

  @Override
  protected int run() throws Exception {
    if (command.isEmpty()) {
      throw new UsageException("you must specify at least one command for the container (after --)");
    }
    String pod = new LogsCommand().resolvePodWith(cluster(), namespace(), target);
    PodResource res = cluster().client().pods().inNamespace(namespace()).withName(pod);
    ContainerResource cr = container != null ? res.inContainer(container) : res;
    boolean raw = tty && stdin && Terminal.interactive();
    TtyExecErrorable withOut = (stdin ? cr.readingInput(System.in) : cr).writingOutput(System.out);
    Execable execable = tty ? withOut.writingError(System.err).withTTY() : withOut.writingError(System.err);
    String saved = raw ? stty("-g").trim() : null;
    try {
      if (raw) {
        stty("raw", "-echo");
      }
      ExecWatch watch = execable.exec(command.toArray(String[]::new));
      Integer code = watch.exitCode().get(24, TimeUnit.HOURS);
      watch.close();
      System.out.flush();
      System.err.flush();
      return code == null ? 0 : code;
    } finally {
      if (raw && saved != null) {
        stty(saved);
      }
    }
  }

  static String stty(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("stty");
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(5, TimeUnit.SECONDS);
      return out;
    } catch (Exception e) {
      return "";
    }
  }
}
