// Uploading product photos: XMLHttpRequest rather than fetch, for its upload progress events.
// The upload asks to be answered at once (Prefer: respond-async) with the product still
// analysing; the gallery then follows its analysis.

import { ApiError, csrfToken, loginAgain } from "./api.js";

const PRODUCTS = "/api/v1/products";
export const PARALLEL_UPLOADS = 3;

// Resolves with the new product (status "analyzing", or already "ready"); rejects with an
// ApiError carrying the API's sentence. onProgress(fraction) as the bytes go out.
export function uploadProduct(file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", PRODUCTS);
    request.responseType = "json";
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRF-Token", csrfToken());
    request.setRequestHeader("Prefer", "respond-async");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      const answer = request.response;
      if (request.status === 401) {
        loginAgain();
        reject(new ApiError("Your session has expired. Log in again.", 401, "unauthorized"));
      } else if (answer?.success) {
        resolve(answer.data);
      } else {
        const message = answer?.error ?? `The server answered ${request.status}.`;
        reject(new ApiError(message, request.status, answer?.code ?? "unexpected"));
      }
    });
    request.addEventListener("error", () => reject(new ApiError(
      "The upload did not reach the server. Check the connection and try again.", 0, "network")));
    const form = new FormData();
    form.append("file", file, file.name);
    request.send(form);
  });
}

// Runs task(item) over items, at most `limit` at a time.
export async function eachLimited(items, limit, task) {
  const queue = [...items];
  const worker = async () => {
    while (queue.length) await task(queue.shift());
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
