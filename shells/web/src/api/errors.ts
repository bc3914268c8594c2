// Errors from the API as one type the UI can show: the HTTP status, the envelope's code and
// message ({"error":{"code","message","request_id"}}), or a network failure (status 0).

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string;

  constructor(status: number, code: string, message: string, requestId = "") {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }
}

/** Builds an ApiError from a non-2xx response, reading the error envelope when there is one. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let code = "http_" + res.status;
  let message = res.statusText || "request failed";
  let requestId = res.headers.get("x-request-id") ?? "";
  try {
    const doc = (await res.json()) as { error?: { code?: string; message?: string; request_id?: string } };
    if (doc && doc.error) {
      code = doc.error.code ?? code;
      message = doc.error.message ?? message;
      requestId = doc.error.request_id ?? requestId;
    }
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(res.status, code, message, requestId);
}

/** A sentence for a person: what went wrong, without stack traces. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.isNetwork) return "Cannot reach the server. Check that it is running; retrying helps.";
    const what = err.message.charAt(0).toUpperCase() + err.message.slice(1);
    switch (err.status) {
      case 404:
        return `Not found: ${what}`;
      case 409:
        return `Conflict: ${what}`;
      case 412:
        return `Changed elsewhere: ${what}`;
      case 413:
        return `Too large: ${what}`;
      case 429:
        return `Limit reached: ${what}`;
      case 503:
        return `The server is busy or unavailable: ${what}`;
      default:
        return what;
    }
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
