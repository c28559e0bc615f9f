/**
 * The Discord connector ({@link dev.letmepost.platform.discord.DiscordConnector}): one message per
 * task through the channel webhook URL the account's secret holds, read back with {@code
 * ?wait=true}. The URL is the credential, so every message is redacted of it ({@link
 * dev.letmepost.publish.WebhookUrl}); webhooks take no idempotency key and a message cannot be
 * found without its id, so a call whose fate is unknown is reconciled as unknown.
 */
package dev.letmepost.platform.discord;
