package io.keelson.apiserver.rest;

import io.keelson.apiserver.status.StatusException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Answers OPTIONS with 405 and a Status, as kube-apiserver does when no CORS origins are configured
 * (its routes serve no OPTIONS), instead of the servlet container's empty 200 with an Allow header.
 * The health endpoints keep answering every method, as kube-apiserver's do.
 */
public class OptionsRejection extends HttpFilter {

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
      throws IOException, ServletException {
    if (!"OPTIONS".equals(req.getMethod()) || isHealth(req.getRequestURI())) {
      chain.doFilter(req, resp);
      return;
    }
    Responses.status(resp, StatusException.methodNotAllowed(
        "the server does not allow this method on the requested resource (OPTIONS " + req.getRequestURI() + ")"));
  }

  static boolean isHealth(String path) {
    for (String h : new String[] {"/healthz", "/livez", "/readyz"}) {
      if (path.equals(h) || path.startsWith(h + "/")) return true;
    }
    return false;
  }
}
