package dev.letmepost.client;

/**
 * The header names of the contract, their one home: the record headers of commands, answers, events
 * and dead letters (docs/contract.md#command-headers, #result-headers, #events, #dead-letters), in
 * lower case as the ledger writes them, and the HTTP headers the gateway maps them to ({@link
 * Http}). {@code wire.LmpHeaders} and {@code http.ApiHeaders} re-export them for the server's
 * packages.
 */
public final class Headers {
  /** Command: id of the API key the command acts for (never the secret). Required. */
  public static final String PRINCIPAL = "lmp-principal";

  /** Command and result: the client's idempotency key. */
  public static final String IDEMPOTENCY_KEY = "idempotency-key";

  /** Command and result: correlation id, derived by the ledger when the command has none. */
  public static final String REQUEST_ID = "lmp-request-id";

  /** Command: HTTP-style method, default {@value #DEFAULT_METHOD}. */
  public static final String METHOD = "lmp-method";

  /** Command: HTTP-style path, default {@value #DEFAULT_PATH}. */
  public static final String PATH = "lmp-path";

  /** Result: HTTP-style status code. */
  public static final String STATUS = "lmp-status";

  /** Result: {@code true} when the answer is a stored one. */
  public static final String REPLAYED = "idempotent-replayed";

  /** Result (and publish task): the batch the answer is about. */
  public static final String BATCH_ID = "lmp-batch-id";

  /** Result: when the replay record expires, RFC 3339. */
  public static final String KEY_EXPIRES = "lmp-key-expires";

  /** Event: the event's type, to filter without parsing the value. */
  public static final String EVENT_TYPE = "lmp-event-type";

  /** Dead letter: a stable error code. */
  public static final String ERROR_CODE = "lmp-error-code";

  /** Dead letter: what was wrong, naming the offending value. */
  public static final String ERROR_MESSAGE = "lmp-error-message";

  /** Dead letter: the topic the record came from. */
  public static final String ERROR_TOPIC = "lmp-error-topic";

  /** Dead letter: the partition the record came from. */
  public static final String ERROR_PARTITION = "lmp-error-partition";

  /** Dead letter: the offset the record came from. */
  public static final String ERROR_OFFSET = "lmp-error-offset";

  /** The method of a command without {@value #METHOD} header. */
  public static final String DEFAULT_METHOD = "POST";

  /** The path of a command without {@value #PATH} header. */
  public static final String DEFAULT_PATH = "/v1/posts";

  private Headers() {}

  /** The HTTP headers of the API that carry the contract's record headers (README, "Headers"). */
  public static final class Http {
    /** Response: {@code true} when the answer is a stored one. */
    public static final String REPLAYED = "Idempotent-Replayed";

    /** Request and response: the client's idempotency key. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** Response: when the key's replay record expires, RFC 3339. */
    public static final String KEY_EXPIRES = "Idempotency-Key-Expires";

    /** Response: the request's correlation id. */
    public static final String REQUEST_ID = "Lmp-Request-Id";

    /** Response: the batch the answer is about. */
    public static final String BATCH_ID = "Lmp-Batch-Id";

    private Http() {}
  }
}
