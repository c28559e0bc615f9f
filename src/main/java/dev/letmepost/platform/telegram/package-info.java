/**
 * The Telegram connector ({@link dev.letmepost.platform.telegram.TelegramConnector}): one message
 * ({@code sendMessage}), or one photo by URL with the text as its caption ({@code sendPhoto}),
 * through the Bot API to the chat the account's handle names. The bot token sits in the URL's path,
 * so no message names the URL; the Bot API has no idempotency key and no lookup, so a call whose
 * fate is unknown is reconciled as unknown.
 */
package dev.letmepost.platform.telegram;
