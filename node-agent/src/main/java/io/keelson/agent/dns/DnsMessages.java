package io.keelson.agent.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.xbill.DNS.Address;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** Building responses and reading addresses without ever resolving a name. */
final class DnsMessages {
  /** What a client without EDNS can receive over UDP (RFC 1035). */
  static final int UDP_PLAIN = 512;
  /** The largest UDP response we send to an EDNS client (the DNS flag day 2020 value). */
  static final int UDP_EDNS_MAX = 1232;

  private DnsMessages() {}

  /** An empty response to {@code query}: same id, opcode, RD and question; RA set; EDNS echoed. */
  static Message responseTo(Message query) {
    Message resp = new Message(query.getHeader().getID());
    resp.getHeader().setFlag(Flags.QR);
    resp.getHeader().setFlag(Flags.RA);
    resp.getHeader().setOpcode(query.getHeader().getOpcode());
    if (query.getHeader().getFlag(Flags.RD)) {
      resp.getHeader().setFlag(Flags.RD);
    }
    Record q = query.getQuestion();
    if (q != null) {
      resp.addRecord(q, Section.QUESTION);
    }
    if (query.getOPT() != null) {
      resp.addRecord(new OPTRecord(UDP_EDNS_MAX, 0, 0), Section.ADDITIONAL);
    }
    return resp;
  }

  static Message error(Message query, int rcode) {
    Message resp = responseTo(query);
    resp.getHeader().setRcode(rcode);
    return resp;
  }

  /** The largest UDP response {@code query}'s sender accepts. */
  static int udpLimit(Message query) {
    OPTRecord opt = query.getOPT();
    return opt == null ? UDP_PLAIN : Math.max(UDP_PLAIN, Math.min(opt.getPayloadSize(), UDP_EDNS_MAX));
  }

  static String rcodeName(int rcode) {
    return Rcode.string(rcode);
  }

  /** An IP literal, null for anything else (never a DNS lookup). */
  static InetAddress literal(String ip) {
    try {
      return ip == null ? null : Address.getByAddress(ip);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** An IPv4 literal (dotted quad), else null. */
  static InetAddress ipv4(String ip) {
    InetAddress a = literal(ip);
    return a instanceof Inet4Address ? a : null;
  }
}
