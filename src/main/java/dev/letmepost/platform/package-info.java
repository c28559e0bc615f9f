/**
 * The connector registry: {@link dev.letmepost.platform.Connectors} names the {@link
 * dev.letmepost.publish.Connector} that serves each {@link dev.letmepost.wire.Platform}: the one
 * for its real API, whose every call is checked by an address guard (strict unless told otherwise),
 * or, in demo mode, the sandbox's, standing in for every platform. It is the one place outside
 * {@code cli} that names a {@code platform.<name>} package; those packages never depend on it (no
 * cycle), only on the connector SPI in {@code publish}.
 */
package dev.letmepost.platform;
