/**
 * The Slack connector ({@link dev.letmepost.platform.slack.SlackConnector}): one message per task
 * through the incoming-webhook URL the account's secret holds. The URL is the credential, so every
 * message is redacted of it ({@link dev.letmepost.publish.WebhookUrl}); incoming webhooks take no
 * idempotency key and offer no lookup, so a call whose fate is unknown is reconciled as unknown.
 */
package dev.letmepost.platform.slack;
