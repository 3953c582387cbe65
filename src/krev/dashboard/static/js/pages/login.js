import { api } from "../api.js";
import { $, showError } from "../dom.js";

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    await api("POST", "/api/v1/auth/login", {
      email: form.get("email"), password: form.get("password"),
    });
    location.assign(event.target.dataset.next || "/dashboard");
  } catch (error) {
    showError("login-error", error);
    $("login-password").value = "";
    $("login-password").focus();
  }
});
