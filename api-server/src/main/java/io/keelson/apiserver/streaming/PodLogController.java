package io.keelson.apiserver.streaming;

import io.grpc.Context;
import io.keelson.apiserver.rest.Responses;
import io.keelson.apiserver.status.StatusException;
import io.keelson.proto.node.v1.AgentServiceGrpc;
import io.keelson.proto.node.v1.StreamContainerLogsRequest;
import io.keelson.proto.node.v1.StreamContainerLogsResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/namespaces/{ns}/pods/{name}/log} (kubectl logs): proxies the pod's agent's
 * StreamContainerLogs as text/plain, flushing every chunk so that {@code -f} streams.
 */
@RestController
public class PodLogController {
  private final PodAgents agents;

  public PodLogController(PodAgents agents) {
    this.agents = agents;
  }

  @GetMapping("/api/v1/namespaces/{namespace}/pods/{name}/log")
  public void log(
      @PathVariable String namespace,
      @PathVariable String name,
      @RequestParam(required = false) String container,
      @RequestParam(required = false, defaultValue = "false") boolean follow,
      @RequestParam(required = false) Long tailLines,
      @RequestParam(required = false) Long sinceSeconds,
      @RequestParam(required = false) String sinceTime,
      @RequestParam(required = false, defaultValue = "false") boolean timestamps,
      @RequestParam(required = false, defaultValue = "false") boolean previous,
      @RequestParam(required = false) Long limitBytes,
      HttpServletResponse resp) throws IOException {
    PodAgents.Target target;
    long since = sinceSeconds == null ? 0 : sinceSeconds;
    try {
      if (sinceTime != null && !sinceTime.isEmpty()) {
        since = Math.max(1, Duration.between(Instant.parse(sinceTime), Instant.now()).toSeconds());
      }
      target = agents.locate(namespace, name, container);
    } catch (StatusException e) {
      Responses.status(resp, e);
      return;
    } catch (RuntimeException e) {
      Responses.status(resp, StatusException.badRequest(e.getMessage()));
      return;
    }
    StreamContainerLogsRequest req = StreamContainerLogsRequest.newBuilder()
        .setContainer(target.ref())
        .setFollow(follow)
        .setTailLines(tailLines == null ? -1 : tailLines)
        .setSinceSeconds(since)
        .setTimestamps(timestamps)
        .setPrevious(previous)
        .setLimitBytes(limitBytes == null ? 0 : limitBytes)
        .build();
    Context.CancellableContext ctx = Context.current().withCancellation();
    try {
      ctx.run(() -> {
        Iterator<StreamContainerLogsResponse> it;
        boolean started = false;
        try {
          it = AgentServiceGrpc.newBlockingStub(target.stub().getChannel())
              .withCallCredentials(target.stub().getCallOptions().getCredentials())
              .streamContainerLogs(req);
          OutputStream out = null;
          while (it.hasNext()) {
            StreamContainerLogsResponse chunk = it.next();
            if (!started) {
              started = true;
              resp.setStatus(200);
              resp.setContentType("text/plain");
              resp.setHeader("Cache-Control", "no-cache");
              out = resp.getOutputStream();
            }
            chunk.getData().writeTo(out);
            out.flush();
          }
          if (!started) {
            resp.setStatus(200);
            resp.setContentType("text/plain");
            resp.getOutputStream().flush();
          }
        } catch (IOException e) {
          // the client went away: the finally cancels the agent call
        } catch (RuntimeException e) {
          if (!started) {
            Responses.status(resp, PodAgents.toStatus(e));
          }
        }
      });
    } finally {
      ctx.cancel(null);
    }
  }
}
