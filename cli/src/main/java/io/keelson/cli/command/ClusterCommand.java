package io.keelson.cli.command;

import io.keelson.cli.Keelctl;
import io.keelson.cli.cluster.Cluster;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Base of every command that talks to a cluster: connection and namespace from global options. */
public abstract class ClusterCommand implements Callable<Integer> {
  @Spec protected CommandSpec spec;

  protected Keelctl root() {
    return (Keelctl) spec.root().userObject();
  }

  protected Cluster cluster() {
    return root().cluster();
  }

  protected String namespace() {
    return cluster().namespace();
  }

  @Override
  public final Integer call() throws Exception {
    return run();
  }

  protected abstract int run() throws Exception;
}
