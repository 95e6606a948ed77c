package io.keelson.cli.command;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.keelson.cli.UsageException;
import io.keelson.cli.output.Terminal;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code keelctl console VM}: the serial console of a VirtualMachine (vm.keelson.io, a Full VM), as
 * KubeVirt's {@code virtctl console}: attaches to its pod's container (kubectl attach -it) with the
 * local terminal raw, until Ctrl-] detaches. The VM keeps running.
 */
@Command(
    name = "console",
    mixinStandardHelpOptions = true,
    description = "Connect to a VirtualMachine's serial console: keelctl console VM (Ctrl-] detaches)",
    footer = {"", "Examples:", "  keelctl console dos"})
public final class ConsoleCommand extends ClusterCommand {
  private static final ResourceDefinitionContext VMS = new ResourceDefinitionContext.Builder()
      .withGroup("vm.keelson.io").withVersion("v1alpha1").withPlural("virtualmachines").withKind("VirtualMachine")
      .withNamespaced(true).build();
  /** Ctrl-]: telnet's and virtctl's escape. */
  private static final int ESCAPE = 0x1d;

  @Parameters(index = "0", paramLabel = "VM")
  String name;

  @Override
  protected int run() throws Exception {
    GenericKubernetesResource vm = cluster().client().genericKubernetesResources(VMS).inNamespace(namespace()).withName(name).get();
    if (vm == null) {
      throw new UsageException("virtualmachine \"" + name + "\" not found in namespace " + namespace());
    }
    Object status = vm.getAdditionalProperties().get("status");
    Object pod = status instanceof Map<?, ?> s ? s.get("podName") : null;
    Object printable = status instanceof Map<?, ?> s ? s.get("printableStatus") : null;
    if (pod == null || !"Running".equals(printable)) {
      throw new UsageException("virtualmachine \"" + name + "\" is not running (status " + (printable == null ? "unknown" : printable)
          + "); start it with: kubectl patch vm " + name + " --type merge -p '{\"spec\":{\"running\":true}}'");
    }
    CompletableFuture<Void> detached = new CompletableFuture<>();
    InputStream keys = new FilterInputStream(System.in) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        for (int i = 0; i < n; i++) {
          if (b[off + i] == ESCAPE) {
            detached.complete(null);
            return i == 0 ? -1 : i;
          }
        }
        return n;
      }
    };
    boolean raw = Terminal.interactive();
    String saved = raw ? ExecCommand.stty("-g").trim() : null;
    System.err.println("Successfully connected to " + name + " console. The escape sequence is ^]");
    try {
      if (raw) {
        ExecCommand.stty("raw", "-echo");
      }
      try (ExecWatch watch = cluster().client().pods().inNamespace(namespace()).withName(pod.toString())
          .readingInput(keys).writingOutput(System.out).withTTY().attach()) {
        CompletableFuture.anyOf(detached, watch.exitCode()).get();
      }
      System.out.flush();
      return 0;
    } finally {
      if (raw && saved != null) {
        ExecCommand.stty(saved);
      }
      System.err.println();
    }
  }
}
