package io.keelson.apiserver.spdy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpdyFramingTest {
  private final SpdyFraming client = new SpdyFraming();
  private final SpdyFraming server = new SpdyFraming();

  private static Map<String, String> portForwardHeaders(String type, int requestId) {
    return Map.of("streamtype", type, "port", "8080", "requestid", Integer.toString(requestId));
  }

  @Test
  void synStreamAndSynReplyCarryTheirHeaderBlocksAcrossAStreamOfFrames() {
    // the header blocks share one zlib stream per direction: several in a row must all decode
    List<SpdyFrame> sent = List.of(
        new SpdyFrame.SynStream(1, portForwardHeaders("error", 0), false),
        new SpdyFrame.SynStream(3, portForwardHeaders("data", 0), false),
        new SpdyFrame.SynStream(5, portForwardHeaders("error", 1), true));
    List<SpdyFrame> got = new ArrayList<>();
    for (SpdyFrame f : sent) {
      got.addAll(server.decode(client.encode(f)));
    }
    assertThat(got).containsExactlyElementsOf(sent);

    List<SpdyFrame> replies = List.of(
        new SpdyFrame.SynReply(1, portForwardHeaders("error", 0), false),
        new SpdyFrame.SynReply(3, portForwardHeaders("data", 0), false));
    List<SpdyFrame> back = new ArrayList<>();
    for (SpdyFrame f : replies) {
      back.addAll(client.decode(server.encode(f)));
    }
    assertThat(back).containsExactlyElementsOf(replies);
  }

  @Test
  void dataRstPingAndGoAwayRoundTrip() {
    byte[] payload = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    List<SpdyFrame> sent = List.of(
        new SpdyFrame.Data(3, payload, false),
        new SpdyFrame.Data(3, new byte[0], true),
        new SpdyFrame.RstStream(3, SpdyFrame.RstStream.CANCEL),
        new SpdyFrame.Ping(7),
        new SpdyFrame.GoAway(3, 0));
    List<SpdyFrame> got = new ArrayList<>();
    for (SpdyFrame f : sent) {
      got.addAll(server.decode(client.encode(f)));
    }
    assertThat(got).containsExactlyElementsOf(sent);
  }

  @Test
  void framesSplitAndJoinedArbitrarilyAcrossMessagesDecode() {
    // WebSocket messages need not align with SPDY frames
    byte[] a = client.encode(new SpdyFrame.SynStream(1, portForwardHeaders("data", 4), false));
    byte[] b = client.encode(new SpdyFrame.Data(1, new byte[70_000], false));
    byte[] all = new byte[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    List<SpdyFrame> got = new ArrayList<>();
    for (int i = 0; i < all.length; i += 1000) {
      got.addAll(server.decode(Arrays.copyOfRange(all, i, Math.min(all.length, i + 1000))));
    }
    assertThat(got.getFirst()).isEqualTo(new SpdyFrame.SynStream(1, portForwardHeaders("data", 4), false));
    // a large DATA frame may be handed on in pieces; together they are the payload
    int total = 0;
    for (SpdyFrame f : got.subList(1, got.size())) {
      assertThat(f).isInstanceOfSatisfying(SpdyFrame.Data.class, d -> assertThat(d.streamId()).isEqualTo(1));
      total += ((SpdyFrame.Data) f).data().length;
    }
    assertThat(total).isEqualTo(70_000);
  }

  @Test
  void headerlessSynFramesAreRefusedRatherThanSentUnparseable() {
    assertThatThrownBy(() -> server.encode(new SpdyFrame.SynReply(1, Map.of(), false)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void wireLayoutIsSpdy31() {
    // data frame: 31-bit stream id, flags (FIN=1), 24-bit length, payload
    assertThat(HexFormat.of().formatHex(server.encode(new SpdyFrame.Data(3, new byte[] {'h', 'i'}, true))))
        .isEqualTo("00000003" + "01" + "000002" + "6869");
    // control frames: version 3, type, flags, length
    assertThat(HexFormat.of().formatHex(server.encode(new SpdyFrame.RstStream(5, SpdyFrame.RstStream.CANCEL))))
        .isEqualTo("80030003" + "00000008" + "00000005" + "00000005");
    assertThat(HexFormat.of().formatHex(server.encode(new SpdyFrame.Ping(9))))
        .isEqualTo("80030006" + "00000004" + "00000009");
    // a SYN_REPLY: type 2, then the stream id and a zlib header block (0x78 = deflate, 32K window)
    byte[] reply = server.encode(new SpdyFrame.SynReply(1, Map.of("port", "8080"), false));
    assertThat(HexFormat.of().formatHex(reply, 0, 4)).isEqualTo("80030002");
    assertThat(HexFormat.of().formatHex(reply, 8, 12)).isEqualTo("00000001");
    assertThat(reply[12]).isEqualTo((byte) 0x78);
  }

  @Test
  void garbageIsAProtocolError() {
    // a control frame of SPDY version 2 is not something a SPDY/3.1 peer may send
    byte[] v2 = HexFormat.of().parseHex("80020006" + "00000004" + "00000001");
    assertThatThrownBy(() -> server.decode(v2)).isInstanceOf(SpdyFraming.ProtocolException.class);
  }
}
