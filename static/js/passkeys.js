// After django-otp-webauthn registered a passkey or verified one, go where the page says
// (its element #passkey-done): the security page then shows the recovery codes.
document.addEventListener("otp_webauthn.register_complete", () => {
  const done = document.getElementById("passkey-done");
  window.location.assign(done ? done.dataset.href : window.location.href);
});
