package io.keelson.agent;

import java.nio.file.Path;

/**
 * The agent's settings (from the command line).
 *
 * @param hollowNodes 0 for a real node; M > 0 serves nodes {nodeName}-1..M on the fake driver
 * @param fakeRuntime run a real node's pods on the fake driver (tests, demos without runc)
 */
public record AgentOptions(
    Path kubeconfig,
    String nodeName,
    Path stateDir,
    int port,
    String address,
    Path imagesDir,
    int hollowNodes,
    long systemReservedCpuMillis,
    long systemReservedMemoryBytes,
    boolean fakeRuntime) {

  public boolean hollow() {
    return hollowNodes > 0;
  }
}
