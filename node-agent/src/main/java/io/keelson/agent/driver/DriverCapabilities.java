package io.keelson.agent.driver;

/**
 * Static facts about a driver, known without probing the host (Nomad's {@code Capabilities()}).
 *
 * @param exec the driver implements {@link WorkloadDriver#execTask}
 * @param tty exec and tasks can be given a pseudo-terminal
 * @param isolation {@link #ISOLATION_CONTAINER} (shares the host kernel) or {@link #ISOLATION_VM}
 *     (its own guest kernel)
 * @param criLogFormat the driver writes {@link TaskConfig#logPath()} in the CRI log format
 *     ({@code <RFC3339Nano> <stdout|stderr> <P|F> <text>} per line), which gives kubectl
 *     {@code --timestamps}/{@code --since} exact answers; otherwise the file holds the raw
 *     stdout+stderr bytes
 * @param containerIdScheme the scheme of {@code containerStatuses[].containerID}, e.g. "runc" for
 *     {@code runc://<taskId>}
 */
public record DriverCapabilities(
    boolean exec, boolean tty, String isolation, boolean criLogFormat, String containerIdScheme) {

  public static final String ISOLATION_CONTAINER = "container";
  public static final String ISOLATION_VM = "vm";
}
