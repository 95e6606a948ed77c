package io.keelson.cli.output;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Left-aligned columns separated by three spaces, as kubectl prints them. */
public final class TableView {
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  public TableView(List<String> headers) {
    this.headers = new ArrayList<>(headers);
  }

  public List<String> headers() {
    return headers;
  }

  public TableView row(List<String> cells) {
    rows.add(new ArrayList<>(cells));
    return this;
  }

  public List<List<String>> rows() {
    return rows;
  }

  public int size() {
    return rows.size();
  }

  public void print(PrintStream out, boolean withHeaders) {
    int[] w = widths();
    if (withHeaders) {
      out.println(line(headers, w));
    }
    for (List<String> r : rows) {
      out.println(line(r, w));
    }
  }

  /** Widths fixed by the header and current rows; used to align later watch rows too. */
  public int[] widths() {
    int[] w = new int[headers.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = headers.get(i).length();
      for (List<String> r : rows) {
        if (i < r.size()) {
          w[i] = Math.max(w[i], Terminal.width(r.get(i)));
        }
      }
    }
    return w;
  }

  public static String line(List<String> cells, int[] w) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i) == null ? "" : cells.get(i);
      sb.append(c);
      if (i < cells.size() - 1) {
        int pad = (i < w.length ? w[i] : 0) - Terminal.width(c) + 3;
        sb.append(" ".repeat(Math.max(1, pad)));
      }
    }
    return sb.toString().stripTrailing();
  }
}
