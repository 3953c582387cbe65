import { api } from "../api.js";
import { $, showError } from "../dom.js";

$("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("password-done").textContent = "";
  if (form.get("new_password") !== form.get("repeat_password")) {
    showError("password-error", new Error("The two new passwords differ."));
    return;
  }
  try {
    const { data } = await api("POST", "/api/v1/auth/password", {
      current_password: form.get("current_password"), new_password: form.get("new_password"),
    });
    event.target.reset();
    showError("password-error", null);
    const others = data.other_sessions_ended;
    $("password-done").textContent = "Password changed." + (others
      ? ` ${others} other session${others === 1 ? " was" : "s were"} logged out.` : "");
  } catch (error) { showError("password-error", error); }
});
