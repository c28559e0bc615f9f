/**
 * The connector registry: {@link dev.letmepost.platform.Connectors} names the {@link
 * dev.letmepost.publish.Connector} that serves each {@link dev.letmepost.wire.Platform}, the real
 * API's, whose every call is checked by an address guard (strict unless told otherwise), or the
 * sandbox standing in for every platform in demo mode. It is the one place outside {@code cli} that
 * names a {@code platform.<name>} package; those packages never depend on it (no cycle), only on
 * the connector SPI in {@code publish}.
 */
package dev.letmepost.platform;
