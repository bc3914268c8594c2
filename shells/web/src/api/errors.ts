// Errors from the API as one type the UI can show: the HTTP status, the envelope's code and
// message ({"error":{"code","message","request_id"}}), or a network failure (status 0). A 429
// carries the seconds its Retry-After header asks to wait.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string;
  readonly retryAfterS: number | null; // from Retry-After, whole seconds
  readonly rateLimit: number | null; // from RateLimit-Limit: the quota a 429 refers to

  constructor(status: number, code: string, message: string, requestId = "", retryAfterS: number | null = null, rateLimit: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfterS = retryAfterS;
    this.rateLimit = rateLimit;
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }
}

/** Retry-After in seconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
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
  const limit = /^\s*(\d+)/.exec(res.headers.get("ratelimit-limit") ?? "");
  return new ApiError(res.status, code, message, requestId, parseRetryAfter(res.headers.get("retry-after")), limit ? Number(limit[1]) : null);
}

function tryAgain(err: ApiError): string {
  return err.retryAfterS === null ? "" : `. Try again in ${err.retryAfterS} s.`;
}

/** A sentence for a person: what went wrong, without stack traces. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.isNetwork) return "Cannot reach the server. Check that it is running; retrying helps.";
    const text = err.retryAfterS === null ? err.message : err.message.replace(/\.$/, "");
    const what = text.charAt(0).toUpperCase() + text.slice(1);
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
        return `Limit reached: ${what}${tryAgain(err)}`;
      case 503:
        return `The server is busy or unavailable: ${what}${tryAgain(err)}`;
      default:
        return what;
    }
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
