// Once the passkey has approved the payment, send the confirmation form (it carries the
// approved challenge in its hidden `step_up` field).
document.addEventListener("otp_webauthn.verification_complete", (event) => {
  const form = event.target.closest("form") || document.querySelector("form[data-step-up-form]");
  if (form) {
    form.requestSubmit();
  }
});
