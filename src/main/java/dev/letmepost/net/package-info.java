/**
 * Outbound network policy shared by every role that calls another process: which URLs and addresses
 * a call may reach ({@link dev.letmepost.net.AddressGuard}). It depends on the JDK only, so that
 * the webhook dispatcher, the connectors and the gateway apply one rule.
 */
package dev.letmepost.net;
