package io.keelson.apiserver.portforward;

import io.keelson.apiserver.rest.Responses;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.streaming.PodAgents;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;
import java.io.IOException;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * {@code kubectl port-forward} over a plain HTTP upgrade to SPDY/3.1 ({@code POST .../portforward}
 * with {@code Upgrade: SPDY/3.1}, {@code X-Stream-Protocol-Version: portforward.k8s.io}): what
 * kubectl before 1.30 sends, and what kubectl 1.30+ falls back to when the WebSocket upgrade is
 * refused. After the 101 the connection carries the same SPDY session as the WebSocket tunnel.
 * A servlet filter (right after authentication) because the WebSocket endpoint's mapping owns the
 * path for every method.
 */
public class PortForwardSpdyFilter extends HttpFilter {
  private static final Logger log = LoggerFactory.getLogger(PortForwardSpdyFilter.class);
  static final String PROTOCOL = "portforward.k8s.io";
  private static final Pattern PATH = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)/portforward/?");

  private final PodAgents agents;

  public PortForwardSpdyFilter(PodAgents agents) {
    this.agents = agents;
  }

  /** Registers the filter for the pod subresource paths, after authentication (+10). */
  @Configuration(proxyBeanMethods = false)
  static class Registration {
    @Bean
    FilterRegistrationBean<PortForwardSpdyFilter> portForwardSpdyFilter(PodAgents agents) {
      FilterRegistrationBean<PortForwardSpdyFilter> r = new FilterRegistrationBean<>(new PortForwardSpdyFilter(agents));
      r.setOrder(Ordered.HIGHEST_PRECEDENCE + 15);
      r.addUrlPatterns("/api/v1/namespaces/*");
      return r;
    }
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
      throws IOException, ServletException {
    String upgrade = req.getHeader("Upgrade");
    Matcher m = PATH.matcher(req.getRequestURI());
    if (upgrade == null || !upgrade.trim().equalsIgnoreCase("SPDY/3.1") || !m.matches()
        || !(req.getMethod().equals("POST") || req.getMethod().equals("GET"))) {
      chain.doFilter(req, resp);
      return;
    }
    upgrade(m.group(1), m.group(2), req, resp);
  }

  private void upgrade(String namespace, String name, HttpServletRequest req, HttpServletResponse resp)
      throws IOException, ServletException {
    boolean offered = req.getHeaders("X-Stream-Protocol-Version").asIterator().hasNext();
    boolean ours = false;
    for (var it = req.getHeaders("X-Stream-Protocol-Version").asIterator(); it.hasNext(); ) {
      ours |= Arrays.stream(it.next().split(",")).anyMatch(p -> p.trim().equals(PROTOCOL));
    }
    if (offered && !ours) {
      Responses.status(resp, StatusException.forbidden("unable to upgrade: unable to negotiate protocol: client supports "
          + req.getHeader("X-Stream-Protocol-Version") + ", server supports [" + PROTOCOL + "]"));
      return;
    }
    try {
      agents.locate(namespace, name, null);
    } catch (StatusException e) {
      Responses.status(resp, e);
      return;
    }
    resp.setStatus(HttpServletResponse.SC_SWITCHING_PROTOCOLS);
    resp.setHeader("Connection", "Upgrade");
    resp.setHeader("Upgrade", "SPDY/3.1");
    if (offered) {
      resp.setHeader("X-Stream-Protocol-Version", PROTOCOL);
    }
    SpdyConnection conn = req.upgrade(SpdyConnection.class);
    conn.agents = agents;
    conn.namespace = namespace;
    conn.pod = name;
  }

  /**
   * The upgraded connection: non-blocking reads feed the session; frames are written blocking
   * (Tomcat allows it without a WriteListener), one whole frame per write.
   */
  public static final class SpdyConnection implements HttpUpgradeHandler {
    PodAgents agents;
    String namespace;
    String pod;
    private PortForwardSession session;

    public SpdyConnection() {
      // the container creates it
    }

    @Override
    public void init(WebConnection wc) {
      ServletInputStream in;
      ServletOutputStream out;
      try {
        in = wc.getInputStream();
        out = wc.getOutputStream();
      } catch (IOException e) {
        log.debug("port-forward (SPDY): {}", e.toString());
        return;
      }
      session = new PortForwardSession(new PortForwardSession.Wire() {
        @Override
        public void send(byte[] bytes) {
          try {
            out.write(bytes);
            out.flush();
          } catch (IOException | IllegalStateException e) {
            log.debug("port-forward (SPDY) output dropped: {}", e.toString());
          }
        }

        @Override
        public void close() {
          try {
            wc.close();
          } catch (Exception e) {
            // closing anyway
          }
        }
      }, () -> agents.locate(namespace, pod, null), pod + "_" + namespace);
      in.setReadListener(new ReadListener() {
        private final byte[] buf = new byte[64 * 1024];

        @Override
        public void onDataAvailable() throws IOException {
          while (in.isReady()) {
            int n = in.read(buf);
            if (n < 0) {
              return;
            }
            if (n > 0) {
              session.receive(Arrays.copyOf(buf, n));
            }
          }
        }

        @Override
        public void onAllDataRead() {
          session.close();
        }

        @Override
        public void onError(Throwable t) {
          log.debug("port-forward (SPDY) connection: {}", t.toString());
          session.close();
        }
      });
    }

    @Override
    public void destroy() {
      if (session != null) {
        session.close();
      }
    }
  }
}
