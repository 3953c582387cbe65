// The dashboard calls the same JSON API as every client. The session cookie is HttpOnly and
// sent by the browser; writes carry the CSRF token the server rendered into the page.

export const csrfToken = () => document.querySelector('meta[name="krev-csrf"]')?.content ?? "";

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function loginAgain() {
  const next = location.pathname + location.search;
  location.assign(`/dashboard/login?expired=1&next=${encodeURIComponent(next)}`);
}

// `body`: an object (sent as JSON), FormData (sent as multipart), or undefined. `headers`:
// more to send (e.g. Prefer: respond-async, to follow a job from its start).
export async function api(method, path, body, { signal, headers: extra } = {}) {
  const headers = { Accept: "application/json", ...extra };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, {
    method, headers, body: payload, credentials: "same-origin", signal,
  });
  const answer = await response.json().catch(() => null);
  if (response.status === 401 && path !== "/api/v1/auth/login") {
    loginAgain();
    throw new ApiError("Your session has expired. Log in again.", 401, "unauthorized");
  }
  if (!answer || !answer.success) {
    const message = answer?.error ?? `The server answered ${response.status}.`;
    throw new ApiError(message, response.status, answer?.code ?? "unexpected");
  }
  return answer;
}

// Every page of a list, following next_cursor (for small lists the dashboard shows whole).
export async function all(path, { limit = 100, max = 1000 } = {}) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const query = `${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api("GET", path + query);
    items.push(...page.data);
    cursor = page.meta?.next_cursor ?? null;
  } while (cursor && items.length < max);
  return items;
}

// One page of a list, and a function giving the next (null on the last).
export async function pageOf(path, cursor = null, limit = 20) {
  const sep = path.includes("?") ? "&" : "?";
  const query = `${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const page = await api("GET", path + query);
  return { items: page.data, next: page.meta?.next_cursor ?? null };
}
