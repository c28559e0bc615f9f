package dev.letmepost.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * An HTTP body handler that keeps at most a bound of bytes: a longer body, declared ({@code
 * Content-Length}) or sent, fails the exchange with an {@link IOException} naming the bound, and
 * the rest is not read.
 */
public final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
  private final int max;
  private final long declared;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CompletableFuture<byte[]> body = new CompletableFuture<>();
  private Flow.Subscription subscription;

  private CappedBody(int max, long declared) {
    this.max = max;
    this.declared = declared;
  }

  /** A handler reading at most {@code max} bytes of each body. */
  public static HttpResponse.BodyHandler<byte[]> handler(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must not be negative, got " + max);
    }
    return info ->
        new CappedBody(max, info.headers().firstValueAsLong("Content-Length").orElse(-1));
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return body;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    this.subscription = s;
    if (declared > max) {
      s.cancel();
      body.completeExceptionally(
          new IOException(
              "a body of "
                  + declared
                  + " bytes was declared, larger than the limit of "
                  + max
                  + " bytes"));
      return;
    }
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (body.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      if (bytes.size() + b.remaining() > max) {
        subscription.cancel();
        body.completeExceptionally(
            new IOException("the body is larger than the limit of " + max + " bytes"));
        return;
      }
      byte[] chunk = new byte[b.remaining()];
      b.get(chunk);
      bytes.writeBytes(chunk);
    }
  }

  @Override
  public void onError(Throwable t) {
    body.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    body.complete(bytes.toByteArray());
  }
}
