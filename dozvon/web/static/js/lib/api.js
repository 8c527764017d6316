// The JSON API as the page uses it: the session cookie, the CSRF header on writes, the
// reader's language, and errors as {status, code, message} with the server's message.
function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function request(method, path, body) {
  const headers = { "Accept": "application/json", "Accept-Language": document.documentElement.lang };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = cookie("dozvon_csrf");
  let answer;
  try {
    answer = await fetch(path, { method, headers, credentials: "same-origin",
                                 body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, "network", error.message);
  }
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const err = data.error || {};
    throw new ApiError(answer.status, err.code || "http", err.message || answer.statusText);
  }
  return data;
}

export const get = (path) => request("GET", path);
export const post = (path, body = {}) => request("POST", path, body);
export const put = (path, body = {}) => request("PUT", path, body);
export const del = (path) => request("DELETE", path);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
