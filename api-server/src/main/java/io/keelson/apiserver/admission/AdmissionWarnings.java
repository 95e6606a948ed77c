package io.keelson.apiserver.admission;

import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * The warnings admission gave during the request this thread serves (what admission webhooks answered,
 * ValidatingAdmissionPolicy bindings' Warn action), for its response's {@code Warning} headers (kubectl
 * prints them as {@code Warning: ...}). Admission runs on the thread serving the request.
 */
public final class AdmissionWarnings {
  private static final ThreadLocal<List<String>> PENDING = new ThreadLocal<>();
  /** Writes outside a request (the agents' status stream) never hand their warnings on: keep a bounded few. */
  private static final int MAX = 64;

  private AdmissionWarnings() {}

  public static void add(String warning) {
    List<String> l = PENDING.get();
    if (l == null) PENDING.set(l = new ArrayList<>());
    if (l.size() < MAX) l.add(warning);
  }

  /** Forgets what an earlier request on this thread left (call as a request starts). */
  public static void clear() {
    PENDING.remove();
  }

  /** Adds the pending warnings to {@code resp} as RFC 7234 {@code 299} warnings, and forgets them. */
  public static void writeTo(HttpServletResponse resp) {
    List<String> l = PENDING.get();
    if (l == null) return;
    PENDING.remove();
    for (String w : l) resp.addHeader("Warning", "299 - \"" + w.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
  }
}
