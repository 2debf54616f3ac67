// "Copy link" buttons: copy the named input's value to the clipboard and say so on the button.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) {
    return;
  }
  const input = document.getElementById(button.dataset.copyTarget);
  if (!input) {
    return;
  }
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select(); // no clipboard permission: leave it selected for the customer to copy
    return;
  }
  const label = button.textContent;
  button.textContent = button.dataset.copiedText || label;
  setTimeout(() => {
    button.textContent = label;
  }, 2000);
});
