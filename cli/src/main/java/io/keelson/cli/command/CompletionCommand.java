package io.keelson.cli.command;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keelctl completion bash|zsh}: a shell completion script generated from the command tree. */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = "Print a shell completion script.",
    footer = {"", "Examples:", "  source <(keelctl completion bash)", "  keelctl completion zsh > \"${fpath[1]}/_keelctl\""})
public final class CompletionCommand implements Callable<Integer> {
  @Parameters(paramLabel = "bash|zsh", description = "The shell.")
  String shell;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String script = AutoComplete.bash("keelctl", spec.root().commandLine());
    switch (shell) {
      case "bash" -> System.out.print(script);
      case "zsh" -> {
        // picocli's script is bash; zsh runs it through bashcompinit
        System.out.println("autoload -U +X compinit && compinit");
        System.out.println("autoload -U +X bashcompinit && bashcompinit");
        System.out.print(script);
      }
      default -> throw new io.keelson.cli.UsageException("unsupported shell \"" + shell + "\" (bash or zsh)");
    }
    return 0;
  }
}
