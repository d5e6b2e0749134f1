import { UdtError } from '../index.js';

/** The command line was wrong: the tool prints the message and the command's help, and exits with 2. */
export class UsageError extends UdtError {
  constructor(message: string) {
    super('usage', 400, message);
  }
}

/** The store or the file system failed: the tool prints the one-line reason and exits with 1. */
export class RuntimeFailure extends UdtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('runtime_failure', 500, message, options);
  }
}
