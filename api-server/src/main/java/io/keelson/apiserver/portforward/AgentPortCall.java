package io.keelson.apiserver.portforward;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.keelson.apiserver.streaming.PodAgents;
import io.keelson.proto.node.v1.ForwardPodPortRequest;
import io.keelson.proto.node.v1.ForwardPodPortResponse;
import java.util.concurrent.TimeUnit;

/**
 * One forwarded connection to a pod's port: an agent ForwardPodPort call. The pod's bytes go to a
 * {@link Listener}; the client's go in with back-pressure. Both port-forward protocols (SPDY and the
 * WebSocket channels) run their connections on it.
 */
public final class AgentPortCall {

  /** What the pod side does; called on gRPC's threads. */
  public interface Listener {
    void data(byte[] bytes);

    /** The connection ended: {@code error} says why it failed, null when it closed (or was cancelled). */
    void ended(String error);
  }

  private final Object ready = new Object();
  private ClientCallStreamObserver<ForwardPodPortRequest> call;
  private volatile boolean over;

  private AgentPortCall() {}

  /** Opens the connection to {@code port} of the target's pod. */
  public static AgentPortCall open(PodAgents.Target target, int port, Listener listener) {
    AgentPortCall c = new AgentPortCall();
    target.stub().forwardPodPort(new ClientResponseObserver<ForwardPodPortRequest, ForwardPodPortResponse>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<ForwardPodPortRequest> requests) {
        c.call = requests;
        requests.setOnReadyHandler(c::signal);
      }

      @Override
      public void onNext(ForwardPodPortResponse r) {
        switch (r.getMessageCase()) {
          case DATA -> listener.data(r.getData().toByteArray());
          case ERROR -> c.end(listener, r.getError());
          default -> {}
        }
      }

      @Override
      public void onError(Throwable t) {
        Status s = Status.fromThrowable(t);
        c.end(listener, s.getCode() == Status.Code.CANCELLED ? null : s.getDescription() != null ? s.getDescription() : s.getCode().toString());
      }

      @Override
      public void onCompleted() {
        c.end(listener, null);
      }
    });
    synchronized (c) {
      c.call.onNext(ForwardPodPortRequest.newBuilder()
          .setStart(ForwardPodPortRequest.Start.newBuilder().setPod(target.ref()).setPort(port)).build());
    }
    return c;
  }

  /** How a failed connection is reported to the client, in the kubelet's words. */
  static String failure(int port, String podDescription, String podUid, String error) {
    return "error forwarding port " + port + " to pod " + podDescription + ", uid " + podUid + ": " + error;
  }

  private void end(Listener listener, String error) {
    over = true;
    signal();
    listener.ended(error);
  }

  private void signal() {
    synchronized (ready) {
      ready.notifyAll();
    }
  }

  /**
   * Sends the client's bytes, then holds the caller while the call's buffer is full (a pod reading
   * slower than the client sends): the client's connection stops being read and TCP pushes back,
   * instead of the api-server buffering without bound. Gives up waiting after a minute.
   */
  public void write(byte[] bytes, int offset, int length) {
    synchronized (this) {
      if (over || length == 0) return;
      try {
        call.onNext(ForwardPodPortRequest.newBuilder().setData(ByteString.copyFrom(bytes, offset, length)).build());
      } catch (IllegalStateException e) {
        return; // the call already ended; its end is reported to the listener
      }
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    synchronized (ready) {
      while (!call.isReady() && !over && System.nanoTime() < deadline) {
        try {
          ready.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** The client closed its side: close the write side of the pod's connection. */
  public synchronized void halfClose() {
    if (over) return;
    try {
      call.onCompleted();
    } catch (IllegalStateException e) {
      // already ended
    }
  }

  /** The client is gone: the agent closes the pod's connection. */
  public void cancel(String why) {
    over = true;
    signal();
    call.cancel(why, null);
  }
}
