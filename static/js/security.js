// After a passkey is registered, reload so the list of passkeys shows it.
document.addEventListener("otp_webauthn.register_complete", () => {
  window.setTimeout(() => window.location.reload(), 800);
});
