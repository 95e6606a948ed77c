package io.keelson.agent.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.keelson.agent.driver.AttachSession;
import io.keelson.agent.driver.DriverException;
import io.keelson.agent.driver.ExecSession;
import io.keelson.agent.driver.TaskStats;
import io.keelson.agent.driver.runc.RuncDriver;
import io.keelson.agent.logs.ContainerLogReader;
import io.keelson.agent.logs.LogAttachSession;
import io.keelson.agent.metrics.HostUsage;
import io.keelson.agent.pod.PodManager;
import io.keelson.agent.pod.PodWorker;
import io.keelson.agent.portforward.PodConnection;
import io.keelson.proto.node.v1.AgentServiceGrpc;
import io.keelson.proto.node.v1.AttachContainerRequest;
import io.keelson.proto.node.v1.AttachContainerResponse;
import io.keelson.proto.node.v1.ContainerRef;
import io.keelson.proto.node.v1.ContainerStats;
import io.keelson.proto.node.v1.ExecInContainerRequest;
import io.keelson.proto.node.v1.ExecInContainerResponse;
import io.keelson.proto.node.v1.ForwardPodPortRequest;
import io.keelson.proto.node.v1.ForwardPodPortResponse;
import io.keelson.proto.node.v1.ListPodStatsRequest;
import io.keelson.proto.node.v1.ListPodStatsResponse;
import io.keelson.proto.node.v1.NodeStats;
import io.keelson.proto.node.v1.PodStats;
import io.keelson.proto.node.v1.StreamContainerLogsRequest;
import io.keelson.proto.node.v1.StreamContainerLogsResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's AgentService: logs from the containers' log files, exec and stats through the pod's
 * driver, port-forward through {@link PodConnection} (inside a container pod's network namespace,
 * at a VM pod's IP). The api-server proxies kubectl to it.
 */
public final class AgentServiceImpl extends AgentServiceGrpc.AgentServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(AgentServiceImpl.class);

  private final Map<String, PodManager> nodes;
  private final HostUsage host;

  /**
   * @param host the host's usage, each node's own (as the kubelet reports its root cgroup); null for
   *     hollow nodes, which report the sum of their pods
   */
  public AgentServiceImpl(Map<String, PodManager> nodes, HostUsage host) {
    this.nodes = nodes;
    this.host = host;
  }

  private PodWorker find(ContainerRef ref) {
    for (var e : nodes.entrySet()) {
      if (!ref.getNodeName().isEmpty() && !ref.getNodeName().equals(e.getKey())) {
        continue;
      }
      PodWorker w = e.getValue().find(ref.getNamespace(), ref.getPodName(), ref.getPodUid());
      if (w != null) {
        return w;
      }
    }
    throw Status.NOT_FOUND
        .withDescription("pod " + ref.getNamespace() + "/" + ref.getPodName() + " is not on this node")
        .asRuntimeException();
  }

  private PodWorker.ContainerView container(ContainerRef ref) {
    PodWorker w = find(ref);
    PodWorker.ContainerView v = w.container(ref.getContainer());
    if (v == null && w.pod() != null && !ref.getContainer().isEmpty()
        && java.util.stream.Stream.of(w.pod().getSpec().getContainers(), w.pod().getSpec().getInitContainers(),
                io.keelson.agent.pod.EphemeralContainers.of(w.pod()))
            .filter(java.util.Objects::nonNull).flatMap(java.util.List::stream)
            .anyMatch(c -> c.getName().equals(ref.getContainer()))) {
      throw Status.FAILED_PRECONDITION
          .withDescription("container \"" + ref.getContainer() + "\" in pod \"" + ref.getPodName() + "\" is waiting to start: ContainerCreating")
          .asRuntimeException();
    }
    if (v == null) {
      throw Status.NOT_FOUND
          .withDescription("container " + ref.getContainer() + " is not valid for pod " + ref.getPodName())
          .asRuntimeException();
    }
    return v;
  }

  @Override
  public void streamContainerLogs(
      StreamContainerLogsRequest req, StreamObserver<StreamContainerLogsResponse> out) {
    PodWorker.ContainerView v;
    try {
      v = container(req.getContainer());
    } catch (RuntimeException e) {
      out.onError(e);
      return;
    }
    var file = req.getPrevious() ? v.previousLogPath() : v.logPath();
    if (file == null) {
      out.onError(Status.FAILED_PRECONDITION
          .withDescription(req.getPrevious()
              ? "previous terminated container \"" + v.name() + "\" in pod \"" + req.getContainer().getPodName() + "\" not found"
              : "container \"" + v.name() + "\" in pod \"" + req.getContainer().getPodName() + "\" is waiting to start")
          .asRuntimeException());
      return;
    }
    var call = (ServerCallStreamObserver<StreamContainerLogsResponse>) out;
    boolean cri = v.driver() == null || v.driver().capabilities().criLogFormat();
    ContainerLogReader reader = new ContainerLogReader(file, cri, new ContainerLogReader.Options(
        req.getFollow() && !req.getPrevious(), req.getTailLines(),
        req.getSinceSeconds(), req.getTimestamps(), req.getLimitBytes()));
    String taskId = v.taskId();
    Thread.ofVirtual().start(() -> {
      try {
        reader.stream(data -> {
          if (call.isCancelled()) {
            return false;
          }
          synchronized (call) {
            call.onNext(StreamContainerLogsResponse.newBuilder().setData(ByteString.copyFrom(data)).build());
          }
          return true;
        }, () -> {
          PodWorker.ContainerView now = container(req.getContainer());
          return now.running() && taskId != null && taskId.equals(now.taskId()) && !call.isCancelled();
        });
        if (!call.isCancelled()) {
          call.onCompleted();
        }
      } catch (Exception e) {
        if (!call.isCancelled()) {
          out.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
        }
      }
    });
  }

  @Override
  public StreamObserver<ExecInContainerRequest> execInContainer(StreamObserver<ExecInContainerResponse> out) {
    return new StreamObserver<>() {
      private ExecSession session;
      private boolean ended;

      @Override
      public void onNext(ExecInContainerRequest req) {
        try {
          switch (req.getMessageCase()) {
            case START -> start(req.getStart());
            case STDIN -> {
              if (session != null) {
                session.stdin().write(req.getStdin().toByteArray());
                session.stdin().flush();
              }
            }
            case RESIZE -> {
              if (session != null) {
                session.resize(req.getResize().getWidth(), req.getResize().getHeight());
              }
            }
            case STDIN_EOF -> {
              if (session != null) {
                session.stdin().close();
              }
            }
            default -> {}
          }
        } catch (IOException e) {
          log.debug("exec stdin: {}", e.toString());
        } catch (RuntimeException e) {
          fail(e);
        }
      }

      private void start(ExecInContainerRequest.Start start) {
        if (session != null) {
          return;
        }
        PodWorker.ContainerView v = container(start.getContainer());
        if (!v.running()) {
          throw Status.FAILED_PRECONDITION
              .withDescription("container " + v.name() + " is not running").asRuntimeException();
        }
        try {
          session = v.driver().execTask(v.taskId(), start.getCommandList(), start.getTty());
        } catch (DriverException e) {
          sendExit(126, e.getMessage());
          return;
        }
        ExecSession s = session;
        if (!start.getStdin()) {
          try {
            s.stdin().close();
          } catch (IOException e) {
            // nothing to close
          }
        }
        CountDownLatch pumps = new CountDownLatch(2);
        pump(s.stdout(), true, pumps);
        pump(s.stderr(), false, pumps);
        s.exit().whenComplete((code, err) -> Thread.ofVirtual().start(() -> {
          try {
            pumps.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          sendExit(code == null ? -1 : code, err == null ? "" : err.toString());
          s.close();
        }));
      }

      private void pump(InputStream in, boolean stdout, CountDownLatch done) {
        Thread.ofVirtual().start(() -> {
          byte[] buf = new byte[16384];
          try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
              ByteString data = ByteString.copyFrom(buf, 0, n);
              send(stdout
                  ? ExecInContainerResponse.newBuilder().setStdout(data).build()
                  : ExecInContainerResponse.newBuilder().setStderr(data).build());
            }
          } catch (IOException e) {
            // stream closed
          } finally {
            done.countDown();
          }
        });
      }

      private void send(ExecInContainerResponse r) {
        synchronized (out) {
          if (!ended) {
            out.onNext(r);
          }
        }
      }

      private void sendExit(int code, String error) {
        synchronized (out) {
          if (ended) {
            return;
          }
          out.onNext(ExecInContainerResponse.newBuilder()
              .setExit(ExecInContainerResponse.Exit.newBuilder().setExitCode(code).setError(error == null ? "" : error))
              .build());
          out.onCompleted();
          ended = true;
        }
      }

      private void fail(RuntimeException e) {
        synchronized (out) {
          if (!ended) {
            ended = true;
            out.onError(e instanceof io.grpc.StatusRuntimeException ? e
                : Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
          }
        }
        if (session != null) {
          session.close();
        }
      }

      @Override
      public void onError(Throwable t) {
        if (session != null) {
          session.close();
        }
      }

      @Override
      public void onCompleted() {
        if (session != null) {
          try {
            session.stdin().close();
          } catch (IOException e) {
            // already closed
          }
        }
      }
    };
  }

  @Override
  public StreamObserver<AttachContainerRequest> attachContainer(StreamObserver<AttachContainerResponse> out) {
    return new StreamObserver<>() {
      private volatile AttachSession session;
      private boolean ended;

      @Override
      public void onNext(AttachContainerRequest req) {
        try {
          AttachSession s = session;
          switch (req.getMessageCase()) {
            case START -> start(req.getStart());
            case STDIN -> {
              if (s != null) {
                s.write(req.getStdin().toByteArray());
              }
            }
            case RESIZE -> {
              if (s != null) {
                s.resize(req.getResize().getWidth(), req.getResize().getHeight());
              }
            }
            case STDIN_EOF -> {
              if (s != null) {
                s.closeStdin();
              }
            }
            default -> {}
          }
        } catch (IOException e) {
          log.debug("attach stdin: {}", e.toString());
        } catch (RuntimeException e) {
          fail(e);
        }
      }

      private void start(AttachContainerRequest.Start start) {
        if (session != null) {
          return;
        }
        PodWorker.ContainerView v = container(start.getContainer());
        if (!v.running()) {
          throw Status.FAILED_PRECONDITION
              .withDescription("container " + v.name() + " is not running").asRuntimeException();
        }
        AttachSession s;
        try {
          s = interactive(start.getContainer(), v.name())
              ? v.driver().attachTask(v.taskId(), start.getStdin())
              : outputOnly(start.getContainer(), v);
        } catch (IOException e) {
          throw Status.UNAVAILABLE.withDescription("cannot attach to container " + v.name() + ": " + e.getMessage())
              .asRuntimeException();
        } catch (DriverException e) {
          if ("ContainerNotRunning".equals(e.reason())) { // it exited since the check above
            throw Status.FAILED_PRECONDITION.withDescription("container " + v.name() + " is not running").asRuntimeException();
          }
          throw ("AttachNotSupported".equals(e.reason()) ? Status.UNIMPLEMENTED : Status.FAILED_PRECONDITION)
              .withDescription("cannot attach to container " + v.name() + ": " + e.getMessage()).asRuntimeException();
        }
        session = s;
        boolean stdout = start.getStdout();
        boolean stderr = start.getStderr();
        Thread.ofVirtual().name("attach-" + v.taskId()).start(() -> {
          try {
            AttachSession.Output o;
            while ((o = s.read()) != null) {
              ByteString data = ByteString.copyFrom(o.data());
              if (o.stderr() && stderr) {
                send(AttachContainerResponse.newBuilder().setStderr(data).build());
              } else if (!o.stderr() && stdout) {
                send(AttachContainerResponse.newBuilder().setStdout(data).build());
              }
            }
            complete();
          } catch (IOException e) {
            fail(Status.UNAVAILABLE.withDescription("attach to " + v.name() + " broke: " + e.getMessage()).asRuntimeException());
          } finally {
            s.close();
          }
        });
      }

      private void send(AttachContainerResponse r) {
        synchronized (out) {
          if (!ended) {
            out.onNext(r);
          }
        }
      }

      private void complete() {
        synchronized (out) {
          if (!ended) {
            ended = true;
            out.onCompleted();
          }
        }
      }

      private void fail(RuntimeException e) {
        synchronized (out) {
          if (!ended) {
            ended = true;
            out.onError(e instanceof io.grpc.StatusRuntimeException ? e
                : Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
          }
        }
        close();
      }

      private void close() {
        AttachSession s = session;
        if (s != null) {
          s.close();
        }
      }

      @Override
      public void onError(Throwable t) {
        close(); // the client went away: detach (with stdinOnce the monitor then closes stdin)
      }

      @Override
      public void onCompleted() {
        AttachSession s = session;
        if (s != null) {
          try {
            s.closeStdin();
          } catch (IOException e) {
            // detached already
          }
        }
      }
    };
  }

  /** Whether the container was started with stdin or a tty: only then does the driver hold its stdio. */
  private boolean interactive(ContainerRef ref, String name) {
    var pod = find(ref).pod();
    return pod != null && java.util.stream.Stream.concat(pod.getSpec().getContainers().stream(),
            io.keelson.agent.pod.EphemeralContainers.of(pod).stream()) // kubectl debug -i
        .filter(c -> c.getName().equals(name))
        .anyMatch(c -> Boolean.TRUE.equals(c.getStdin()) || Boolean.TRUE.equals(c.getTty()));
  }

  /** Attach without stdin and tty: the main process's output from now on, read from its log. */
  private AttachSession outputOnly(ContainerRef ref, PodWorker.ContainerView v) throws IOException {
    boolean cri = v.driver() == null || v.driver().capabilities().criLogFormat();
    String taskId = v.taskId();
    return new LogAttachSession(v.logPath(), cri, () -> {
      try {
        PodWorker.ContainerView now = container(ref);
        return now != null && now.running() && taskId != null && taskId.equals(now.taskId());
      } catch (RuntimeException gone) {
        return false;
      }
    });
  }

  @Override
  public StreamObserver<ForwardPodPortRequest> forwardPodPort(StreamObserver<ForwardPodPortResponse> out) {
    // the pod is read only as fast as the api-server takes the bytes (no unbounded buffering here)
    Object ready = new Object();
    ServerCallStreamObserver<ForwardPodPortResponse> flow =
        out instanceof ServerCallStreamObserver<ForwardPodPortResponse> o ? o : null;
    if (flow != null) {
      flow.setOnReadyHandler(() -> {
        synchronized (ready) {
          ready.notifyAll();
        }
      });
    }
    return new StreamObserver<>() {
      private PodConnection conn;
      private OutputStream toPod;
      // a failed write to the pod; the reader ends the call (the pod side usually says why first)
      private volatile String writeFailure;

      @Override
      public void onNext(ForwardPodPortRequest req) {
        try {
          if (req.hasStart()) {
            PodWorker w = find(req.getStart().getPod());
            // a container shares the pod's network namespace; a VM's namespace only relays to the guest
            boolean container = RuncDriver.NAME.equals(w.driverName());
            conn = PodConnection.open(container ? w.netns() : null, w.podIp(), req.getStart().getPort());
            toPod = conn.output();
            PodConnection c = conn;
            Thread.ofVirtual().start(() -> {
              byte[] buf = new byte[32768];
              String failure;
              try (InputStream fromPod = c.input()) {
                int n;
                while ((n = fromPod.read(buf)) > 0) {
                  synchronized (out) {
                    out.onNext(ForwardPodPortResponse.newBuilder().setData(ByteString.copyFrom(buf, 0, n)).build());
                  }
                  synchronized (ready) {
                    while (flow != null && !flow.isReady() && !flow.isCancelled()) {
                      ready.wait(100);
                    }
                  }
                }
                failure = c.failure();
                if (failure == null) {
                  failure = writeFailure;
                }
              } catch (IOException e) {
                failure = e.getMessage();
              } catch (RuntimeException e) {
                // the call was cancelled while data was on its way
                c.close();
                return;
              } catch (InterruptedException e) {
                c.close();
                return;
              }
              synchronized (out) {
                try {
                  if (failure != null) {
                    out.onNext(ForwardPodPortResponse.newBuilder().setError(failure).build());
                  }
                  out.onCompleted();
                } catch (RuntimeException e) {
                  // cancelled meanwhile
                }
              }
              c.close();
            });
          } else if (toPod != null) {
            try {
              toPod.write(req.getData().toByteArray());
              toPod.flush();
            } catch (IOException e) {
              // e.g. nothing listens: the relay has exited (broken pipe) and the reader reports
              // its reason; further bytes from kubectl are dropped
              writeFailure = e.getMessage();
              toPod = null;
            }
          }
        } catch (IOException e) {
          synchronized (out) {
            out.onNext(ForwardPodPortResponse.newBuilder().setError(e.getMessage()).build());
            out.onCompleted();
          }
          close();
        } catch (RuntimeException e) {
          out.onError(e);
          close();
        }
      }

      private void close() {
        if (conn != null) {
          conn.close();
        }
      }

      @Override
      public void onError(Throwable t) {
        close();
      }

      @Override
      public void onCompleted() {
        try {
          if (conn != null) {
            conn.shutdownOutput();
          }
        } catch (IOException e) {
          close();
        }
      }
    };
  }

  @Override
  public void listPodStats(ListPodStatsRequest req, StreamObserver<ListPodStatsResponse> out) {
    ListPodStatsResponse.Builder resp = ListPodStatsResponse.newBuilder();
    HostUsage.Sample hostNow = host == null ? null : host.sample();
    for (var e : nodes.entrySet()) {
      if (!req.getNodeName().isEmpty() && !req.getNodeName().equals(e.getKey())) {
        continue;
      }
      NodeStats.Builder node = NodeStats.newBuilder().setNodeName(e.getKey()).setTimestampMillis(System.currentTimeMillis());
      long cpu = 0;
      long mem = 0;
      for (PodWorker w : e.getValue().workers()) {
        PodStats.Builder pod = PodStats.newBuilder().setNamespace(nn(w.namespace())).setName(nn(w.name())).setUid(w.uid());
        for (PodWorker.ContainerView v : w.containers()) {
          if (!v.running()) {
            continue;
          }
          try {
            TaskStats s = v.driver().taskStats(v.taskId());
            pod.addContainers(ContainerStats.newBuilder().setName(v.name())
                .setTimestampMillis(s.timestamp().toEpochMilli())
                .setCpuUsageNanos(s.cpuUsageNanos()).setMemoryWorkingSetBytes(s.memoryWorkingSetBytes()));
            cpu += s.cpuUsageNanos();
            mem += s.memoryWorkingSetBytes();
          } catch (DriverException | RuntimeException ex) {
            log.debug("stats of {} failed: {}", v.taskId(), ex.toString());
          }
        }
        node.addPods(pod);
      }
      if (hostNow != null) {
        cpu = hostNow.cpuUsageNanos();
        mem = hostNow.memoryWorkingSetBytes();
      }
      node.setCpuUsageNanos(cpu).setMemoryWorkingSetBytes(mem);
      resp.addNodes(node);
    }
    out.onNext(resp.build());
    out.onCompleted();
  }

  private static String nn(String s) {
    return s == null ? "" : s;
  }
}
