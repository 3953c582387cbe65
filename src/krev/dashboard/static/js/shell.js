// What every logged-in page has: the menu toggle on small screens and the logout button.
import { api } from "./api.js";
import { $ } from "./dom.js";

const toggle = document.querySelector(".nav-toggle");
if (toggle) {
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    $("nav").classList.toggle("open", open);
  });
}

$("logout")?.addEventListener("click", async () => {
  await api("POST", "/api/v1/auth/logout").catch(() => {});
  location.assign("/dashboard/login");
});
