package io.keelson.apiserver.audit;

import io.keelson.apiserver.auth.Authorizer;
import io.keelson.apiserver.auth.UserInfo;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Kube-apiserver's auditing: every request gets an audit ID (the {@code Audit-Id} response header,
 * or the client's own {@code Audit-ID}), and the {@link AuditPolicy} decides which requests' events
 * reach the log and at what level. The authentication filter starts one {@link AuditedRequest} per
 * request, once it knows who is asking.
 */
public final class Auditor implements AutoCloseable {

  public static final String AUDIT_ID = "Audit-Id";

  /** No policy or no log: only the Audit-Id header. */
  public static final Auditor DISABLED = new Auditor(null, null);

  private final AuditPolicy policy;
  private final AuditLogBackend backend;

  public Auditor(AuditPolicy policy, AuditLogBackend backend) {
    this.policy = policy;
    this.backend = backend;
  }

  /**
   * The auditor of {@code --audit-policy-file} and {@code --audit-log-path} ({@code -}: stdout), the log
   * rotated at {@code maxSizeMb} (0: 100, as kube's), keeping {@code maxBackups} (0: all) of at most
   * {@code maxAgeDays} (0: any age); DISABLED without either flag.
   *
   * @throws IllegalArgumentException naming the flag or the policy's field that is wrong
   */
  public static Auditor open(Path policyFile, String logPath, int maxSizeMb, int maxBackups, int maxAgeDays,
      MeterRegistry meters) {
    if (policyFile == null || logPath == null || logPath.isEmpty()) return DISABLED;
    if (maxSizeMb < 0 || maxBackups < 0 || maxAgeDays < 0) {
      throw new IllegalArgumentException("--audit-log-maxsize, --audit-log-maxbackup and --audit-log-maxage must be 0 or more");
    }
    AuditPolicy policy = AuditPolicy.load(policyFile);
    OutputStream out;
    if (logPath.equals("-")) {
      out = new FilterOutputStream(System.out) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          super.out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          flush(); // stdout stays open for the rest of the shutdown's logging
        }
      };
    } else {
      try {
        out = new RotatingFile(Path.of(logPath), (maxSizeMb == 0 ? 100L : maxSizeMb) * 1024 * 1024, maxBackups,
            Duration.ofDays(maxAgeDays), Clock.systemUTC());
      } catch (IOException e) {
        throw new IllegalArgumentException("--audit-log-path " + logPath + ": cannot open it: " + e.getMessage());
      }
    }
    return new Auditor(policy, new AuditLogBackend(out, meters));
  }

  /**
   * Starts the event of an authenticated request (user null: authentication failed), sets its
   * Audit-Id header and logs RequestReceived when the policy keeps that stage.
   */
  public AuditedRequest begin(HttpServletRequest req, HttpServletResponse resp, UserInfo user, Authorizer.Attributes attributes,
      boolean longRunning) {
    String id = req.getHeader(AUDIT_ID);
    if (id == null || id.isBlank()) id = io.keelson.apiserver.ids.RandomUuids.nextString();
    resp.setHeader(AUDIT_ID, id);
    if (backend == null) return AuditedRequest.NOT_LOGGED;
    UserInfo who = user != null ? user : new UserInfo("", "", java.util.List.of());
    AuditPolicy.Decision d = policy.decide(who, attributes);
    AuditedRequest a = d.level() == AuditLevel.None ? AuditedRequest.NOT_LOGGED
        : new AuditedRequest(backend, d, id, req, who, attributes, longRunning, Instant.now());
    AuditedRequest.serving(a);
    if (a != AuditedRequest.NOT_LOGGED) a.received();
    return a;
  }

  @Override
  public void close() {
    if (backend != null) backend.close();
  }
}
