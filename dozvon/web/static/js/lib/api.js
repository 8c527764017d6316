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

// The answer's JSON, or its error as an ApiError with the server's message.
async function answered(answer) {
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const err = data.error || {};
    throw new ApiError(answer.status, err.code || "http", err.message || answer.statusText);
  }
  return data;
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
  return answered(answer);
}

export const get = (path) => request("GET", path);
export const post = (path, body = {}) => request("POST", path, body);
export const put = (path, body = {}) => request("PUT", path, body);
export const patch = (path, body = {}) => request("PATCH", path, body);
export const del = (path) => request("DELETE", path);

// A file as the body (a recording, an attachment): its own type, the CSRF header, the
// answer read as the JSON calls' are.
export async function upload(method, path, file) {
  let answer;
  try {
    answer = await fetch(path, { method, body: file, credentials: "same-origin",
                                 headers: { "Accept": "application/json", "Accept-Language": document.documentElement.lang,
                                            "Content-Type": file.type || "application/octet-stream",
                                            "X-CSRF-Token": cookie("dozvon_csrf") } });
  } catch (error) {
    throw new ApiError(0, "network", error.message);
  }
  return answered(answer);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
