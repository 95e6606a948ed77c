package io.keelson.agent;

import io.keelson.agent.api.RestClusterObjects;

/**
 * Wires the real runtimes (runc driver, qemu driver, OCI image store, CNI network) for a node.
 * Until they land this falls back to failing clearly.
 */
final class RealRuntimes {
  private RealRuntimes() {}

  static Agent.Runtime create(AgentOptions options, RestClusterObjects objects) {
    throw new IllegalStateException("the runc/qemu drivers are not wired yet: start with --fake-runtime");
  }
}
