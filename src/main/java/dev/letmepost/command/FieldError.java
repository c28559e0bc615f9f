package dev.letmepost.command;

/** One preflight problem: the JSON path of the field, a stable code, and a message. */
public record FieldError(String field, String code, String message) {}
