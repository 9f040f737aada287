/** Typed errors of the messaging library; each carries a stable `code`. */
export abstract class MessagingError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid options or configuration given by the caller. */
export class MessagingConfigError extends MessagingError {
  readonly code = 'MESSAGING_CONFIG_INVALID';
}

/** The bus was used after close(). */
export class MessageBusClosedError extends MessagingError {
  readonly code = 'MESSAGE_BUS_CLOSED';
}

/** Publishing failed (after the client's own retries). */
export class PublishError extends MessagingError {
  readonly code = 'MESSAGING_PUBLISH_FAILED';
}

/** A subscription could not be started. */
export class SubscribeError extends MessagingError {
  readonly code = 'MESSAGING_SUBSCRIBE_FAILED';
}
