package io.keelson.agent.driver;

import java.util.Map;

/**
 * Dynamic health of a driver on this host (Nomad's {@code Fingerprint()}), re-evaluated
 * periodically. A runtime whose binary is missing is "undetected" (healthy=false with the reason),
 * not an error: the node still registers and the other drivers keep working.
 *
 * @param healthy pods for this driver can be started here
 * @param healthDescription why not (shown in pod failures and node conditions), or a short summary
 * @param attributes become node labels verbatim, e.g. {@code keelson.io/runtime.vm=true},
 *     {@code keelson.io/vm.accel=tcg}; keys must be valid label keys and values valid label values
 */
public record Fingerprint(boolean healthy, String healthDescription, Map<String, String> attributes) {

  public Fingerprint {
    attributes = Map.copyOf(attributes);
  }

  public static Fingerprint healthy(Map<String, String> attributes) {
    return new Fingerprint(true, "healthy", attributes);
  }

  public static Fingerprint unhealthy(String why, Map<String, String> attributes) {
    return new Fingerprint(false, why, attributes);
  }
}
