// Errors whose message is written for the model. Thrown by the stores and the tools alike; the
// server turns them into isError results.

/** An error whose message is written for the model: it says what went wrong and what to do. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}
