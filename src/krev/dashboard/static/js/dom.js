// Small DOM helpers. Text is always set as text (never parsed as HTML), so a product name or a
// prompt holding markup shows as written.

export const $ = (id) => document.getElementById(id);

// el("a", { href: "/x", class: "btn" }, "text", child, …)
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const text = (value) => (value === null || value === undefined || value === "" ? "—" : String(value));

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

// A table row whose cells carry their column's name (shown as a label on narrow screens).
export function row(cells, headers) {
  return el("tr", {}, cells.map((value, index) =>
    el("td", { "data-label": headers?.[index] }, value instanceof Node ? value : text(value))));
}

export function headersOf(table) {
  return [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
}

export function showError(target, error) {
  const node = typeof target === "string" ? $(target) : target;
  node.textContent = error ? (error.message ?? String(error)) : "";
  node.hidden = !error;
}

// Run an async action from a button or form, showing its error in `errorTarget`.
export async function attempt(errorTarget, action) {
  try {
    showError(errorTarget, null);
    return await action();
  } catch (error) {
    showError(errorTarget, error);
    return undefined;
  }
}

export async function copyText(value) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(value);
    return;
  }
  // Over plain http (a self-hosted server on a LAN) the clipboard API is absent.
  const area = el("textarea", { readonly: true, class: "visually-hidden" }, value);
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}
