package io.keelson.apiserver.audit;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;

/**
 * The response of an audited request: tells its event when the first bytes go out (the
 * ResponseStarted stage of long-running requests) and keeps a copy of the body when the event needs
 * it — an error's Status, or the object at level RequestResponse — up to a bound.
 */
final class AuditedResponse extends HttpServletResponseWrapper {

  static final int MAX_COPY = 1 << 20;

  private final Runnable onStart;
  private final boolean copyBody;
  private ByteArrayOutputStream copy;
  private boolean started;
  private ServletOutputStream stream;
  private PrintWriter writer;

  AuditedResponse(HttpServletResponse resp, boolean copyBody, Runnable onStart) {
    super(resp);
    this.copyBody = copyBody;
    this.onStart = onStart;
  }

  private void start() {
    if (started) return;
    started = true;
    // errors are short Statuses: keep them whatever the level, for responseStatus' message
    if (copyBody || getStatus() >= 400) copy = new ByteArrayOutputStream();
    onStart.run();
  }

  /** The body's first bytes (null when not copied), at most {@link #MAX_COPY}. */
  byte[] body() {
    return copy == null || copy.size() >= MAX_COPY ? null : copy.toByteArray();
  }

  @Override
  public ServletOutputStream getOutputStream() throws IOException {
    if (stream == null) {
      ServletOutputStream out = super.getOutputStream();
      stream = new ServletOutputStream() {
        @Override
        public void write(int b) throws IOException {
          start();
          if (copy != null && copy.size() < MAX_COPY) copy.write(b);
          out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          start();
          if (copy != null && copy.size() < MAX_COPY) copy.write(b, off, Math.min(len, MAX_COPY - copy.size() + 1));
          out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
          start();
          out.flush();
        }

        @Override
        public void close() throws IOException {
          out.close();
        }

        @Override
        public boolean isReady() {
          return out.isReady();
        }

        @Override
        public void setWriteListener(WriteListener l) {
          out.setWriteListener(l);
        }
      };
    }
    return stream;
  }

  @Override
  public PrintWriter getWriter() throws IOException {
    if (writer == null) writer = new PrintWriter(new OutputStreamWriter(getOutputStream(), getCharacterEncoding()));
    return writer;
  }

  /** Pushes out what a handler left in {@link #getWriter}'s buffer: the container cannot see it. */
  void finish() {
    if (writer != null) writer.flush();
  }

  @Override
  public void flushBuffer() throws IOException {
    if (writer != null) writer.flush();
    start();
    super.flushBuffer();
  }

  @Override
  public void resetBuffer() {
    super.resetBuffer();
    if (copy != null) copy.reset();
  }

  @Override
  public void reset() {
    super.reset();
    if (copy != null) copy.reset();
  }
}
