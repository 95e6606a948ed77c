package io.keelson.apiserver.spdy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyGoAwayFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyHeaders;
import io.netty.handler.codec.spdy.SpdyHeadersFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One side of a SPDY/3.1 connection's framing: bytes in, frames out, and frames in, bytes out.
 * The work is Netty's {@link SpdyFrameCodec} (frame layout, zlib header blocks primed with the
 * SPDY dictionary), driven through two {@link EmbeddedChannel}s because the bytes arrive in
 * WebSocket messages rather than on a Netty socket. Each direction keeps its own zlib stream, so
 * frames must be encoded in the order they are sent: callers serialize {@link #encode} with the
 * write that follows it. Not thread-safe within a direction.
 */
public final class SpdyFraming implements AutoCloseable {
  // a DATA frame is handed on in pieces of at most this many bytes
  private static final int MAX_CHUNK = 32 * 1024;
  private static final int MAX_HEADER_BLOCK = 16 * 1024;

  private final EmbeddedChannel decoder = new EmbeddedChannel(codec());
  private final EmbeddedChannel encoder = new EmbeddedChannel(codec());

  private static SpdyFrameCodec codec() {
    return new SpdyFrameCodec(SpdyVersion.SPDY_3_1, MAX_CHUNK, MAX_HEADER_BLOCK, 6, 15, 8);
  }

  /** Thrown when the peer's bytes are not valid SPDY/3.1 (the connection cannot continue). */
  public static final class ProtocolException extends RuntimeException {
    ProtocolException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Feeds the next bytes the peer sent; returns the frames they complete (a frame may span
   * several calls; a large DATA frame comes out as several Data values, the last one with its FIN).
   */
  public List<SpdyFrame> decode(byte[] bytes) {
    try {
      decoder.writeInbound(Unpooled.wrappedBuffer(bytes));
      decoder.checkException();
    } catch (Exception e) {
      // Netty rethrows its checked SpdyProtocolException unchecked
      throw new ProtocolException("invalid SPDY/3.1 input: " + e, e);
    }
    List<SpdyFrame> frames = new ArrayList<>();
    Object msg;
    while ((msg = decoder.readInbound()) != null) {
      try {
        frames.add(toFrame(msg));
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
    return frames;
  }

  /**
   * The wire bytes of one frame. SYN_STREAM and SYN_REPLY need at least one header: Netty leaves
   * an empty header block out entirely, which Go's SPDY framer (kubectl's) cannot parse.
   */
  public byte[] encode(SpdyFrame frame) {
    encoder.writeOutbound(toNetty(frame));
    encoder.checkException();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuf buf;
    while ((buf = encoder.readOutbound()) != null) {
      try {
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        out.writeBytes(b);
      } finally {
        buf.release();
      }
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    decoder.finishAndReleaseAll();
    encoder.finishAndReleaseAll();
  }

  private static SpdyFrame toFrame(Object msg) {
    return switch (msg) {
      case SpdySynStreamFrame f -> new SpdyFrame.SynStream(f.streamId(), headers(f), f.isLast());
      case SpdySynReplyFrame f -> new SpdyFrame.SynReply(f.streamId(), headers(f), f.isLast());
      case SpdyDataFrame f -> {
        byte[] b = new byte[f.content().readableBytes()];
        f.content().getBytes(f.content().readerIndex(), b);
        yield new SpdyFrame.Data(f.streamId(), b, f.isLast());
      }
      case SpdyRstStreamFrame f -> new SpdyFrame.RstStream(f.streamId(), f.status().code());
      case SpdyPingFrame f -> new SpdyFrame.Ping(f.id());
      case SpdyGoAwayFrame f -> new SpdyFrame.GoAway(f.lastGoodStreamId(), f.status().code());
      default -> new SpdyFrame.Other(msg.getClass().getSimpleName());
    };
  }

  private static Map<String, String> headers(SpdyHeadersFrame f) {
    Map<String, String> h = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, String>> it = f.headers().iteratorAsString(); it.hasNext(); ) {
      Map.Entry<String, String> e = it.next();
      h.putIfAbsent(e.getKey(), e.getValue());
    }
    return h;
  }

  private static Object toNetty(SpdyFrame frame) {
    return switch (frame) {
      case SpdyFrame.SynStream f when f.headers().isEmpty() -> throw new IllegalArgumentException("SYN_STREAM without headers");
      case SpdyFrame.SynReply f when f.headers().isEmpty() -> throw new IllegalArgumentException("SYN_REPLY without headers");
      case SpdyFrame.SynStream f -> {
        DefaultSpdySynStreamFrame n = new DefaultSpdySynStreamFrame(f.streamId(), 0, (byte) 0);
        n.setLast(f.fin());
        copy(f.headers(), n.headers());
        yield n;
      }
      case SpdyFrame.SynReply f -> {
        DefaultSpdySynReplyFrame n = new DefaultSpdySynReplyFrame(f.streamId());
        n.setLast(f.fin());
        copy(f.headers(), n.headers());
        yield n;
      }
      case SpdyFrame.Data f -> new DefaultSpdyDataFrame(f.streamId(), Unpooled.wrappedBuffer(f.data())).setLast(f.fin());
      case SpdyFrame.RstStream f -> new DefaultSpdyRstStreamFrame(f.streamId(), f.status());
      case SpdyFrame.Ping f -> new DefaultSpdyPingFrame(f.id());
      case SpdyFrame.GoAway f -> new DefaultSpdyGoAwayFrame(f.lastGoodStreamId(), f.status());
      case SpdyFrame.Other f -> throw new IllegalArgumentException("cannot encode " + f.kind());
    };
  }

  private static void copy(Map<String, String> from, SpdyHeaders to) {
    from.forEach((k, v) -> to.set(k.toLowerCase(java.util.Locale.ROOT), v));
  }
}
