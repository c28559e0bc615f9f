package dev.letmepost.gateway;

import dev.letmepost.command.Limits;
import dev.letmepost.http.ApiHeaders;
import dev.letmepost.http.ErrorBody;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * The errors Jetty answers itself, before a request reaches a route (a header block over {@link
 * #REQUEST_HEADER_BYTES} is {@code 431}, a request line over it {@code 414}, an unparsable or
 * ambiguous request line or header {@code 400}), written as the gateway's JSON error body instead
 * of Jetty's HTML page: one handler for the server (bad messages) and one for the servlet context.
 */
final class JsonErrors {
  /** The request line and headers together may take this many bytes (Jetty's default). */
  static final int REQUEST_HEADER_BYTES = 8 * 1024;

  private JsonErrors() {}

  /** The gateway's error code for an HTTP status Jetty answers with. */
  static String code(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 413 -> "body_too_large";
      case 414 -> "uri_too_long";
      case 415 -> "unsupported_media_type";
      case 431 -> "headers_too_large";
      case 500 -> "internal_error";
      default -> {
        String reason = HttpStatus.getMessage(status);
        yield reason == null
            ? "http_" + status
            : reason.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("_$", "");
      }
    };
  }

  /** The message for {@code status}, naming the limit where there is one and Jetty's reason. */
  static String message(int status, String reason) {
    String why = reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
    String detail = Limits.cut(why, Limits.MAX_ECHO_CHARS * 2);
    return switch (status) {
      case 414 -> "the request line is longer than the limit of " + REQUEST_HEADER_BYTES + " bytes";
      case 431 ->
          "the request headers are larger than the limit of " + REQUEST_HEADER_BYTES + " bytes";
      case 400 -> "the request line or a header is not valid HTTP: " + detail;
      default -> "the HTTP request was rejected: " + detail;
    };
  }

  static byte[] body(int status, String reason) {
    return ErrorBody.of(code(status), message(status, reason));
  }

  /** The server's handler: bad messages and errors outside the servlet context. */
  static final class ServerHandler extends org.eclipse.jetty.server.handler.ErrorHandler {
    @Override
    protected void generateResponse(
        Request request,
        Response response,
        int code,
        String message,
        Throwable cause,
        Callback callback)
        throws IOException {
      writeJson(request, response, code, message, callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
      fields.put(HttpHeader.CONTENT_TYPE, ApiHeaders.JSON);
      return ByteBuffer.wrap(body(status, reason));
    }
  }

  /** The servlet context's handler: errors Jetty answers inside the context. */
  static final class ContextHandler extends org.eclipse.jetty.ee10.servlet.ErrorHandler {
    @Override
    protected boolean generateAcceptableResponse(
        Request request,
        Response response,
        Callback callback,
        String contentType,
        List<Charset> charsets,
        int code,
        String message,
        Throwable cause)
        throws IOException {
      writeJson(request, response, code, message, callback);
      return true;
    }
  }

  private static void writeJson(
      Request request, Response response, int code, String message, Callback callback) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, ApiHeaders.JSON);
    boolean head = "HEAD".equals(request.getMethod());
    response.write(
        true, head ? BufferUtil.EMPTY_BUFFER : ByteBuffer.wrap(body(code, message)), callback);
  }
}
