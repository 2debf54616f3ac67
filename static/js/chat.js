// Live chat: polls the chat's JSON endpoint every second for the messages after the last one it
// has ("after" cursor) and appends them as text, never as HTML. Polling, not websockets: Django
// Channels is not in the stack, and one small indexed query per second meets "within two
// seconds". Sending uses fetch; without script the form posts and the page reloads.
(function () {
  "use strict";
  const POLL_MS = 1000;

  function start(root) {
    const list = root.querySelector("[data-chat-lines]");
    const stateLabel = root.querySelector("[data-chat-state]");
    const ticket = root.querySelector("[data-chat-ticket]");
    const form = root.querySelector("[data-chat-form]");
    const error = root.querySelector("[data-chat-error]");
    const pollUrl = root.dataset.pollUrl;
    let state = root.dataset.state;
    let lastId = 0;
    list.querySelectorAll("[data-id]").forEach((li) => {
      lastId = Math.max(lastId, Number(li.dataset.id));
    });

    function append(message) {
      if (message.id <= lastId) {
        return;
      }
      lastId = message.id;
      const empty = list.querySelector("[data-chat-empty]");
      if (empty) {
        empty.remove();
      }
      const li = document.createElement("li");
      li.className = "chat-line" + (message.mine ? " chat-line-mine" : "");
      li.dataset.id = String(message.id);
      const author = document.createElement("span");
      author.className = "chat-author";
      author.textContent = message.author;
      const body = document.createElement("span");
      body.className = "chat-body";
      body.textContent = message.body;
      li.append(author, body);
      list.append(li);
      li.scrollIntoView({ block: "nearest" });
    }

    function ended(data) {
      if (form) {
        form.hidden = true;
      }
      document.querySelectorAll("[data-chat-end]").forEach((el) => {
        el.hidden = true;
      });
      if (ticket && data.ticket_url) {
        const link = ticket.querySelector("a");
        link.href = data.ticket_url;
        ticket.hidden = false;
      }
    }

    async function poll() {
      try {
        const response = await fetch(pollUrl + "?after=" + lastId, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          cache: "no-store",
        });
        if (response.ok) {
          const data = await response.json();
          data.messages.forEach(append);
          if (data.state !== state) {
            state = data.state;
            root.dataset.state = state;
            stateLabel.textContent = data.state_label;
            document.querySelectorAll("[data-chat-waiting]").forEach((el) => {
              el.hidden = state !== "waiting";
            });
          }
          if (state === "ended") {
            ended(data);
            return; // nothing more will come
          }
        }
      } catch {
        // offline for a moment: try again at the next tick
      }
      window.setTimeout(poll, POLL_MS);
    }

    if (form) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const text = form.querySelector("textarea");
        error.hidden = true;
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-Requested-With": "fetch", Accept: "application/json" },
          credentials: "same-origin",
        });
        const data = await response.json().catch(() => ({}));
        if (response.status === 201) {
          append(data);
          text.value = "";
          text.focus();
        } else {
          error.textContent = data.detail || response.statusText;
          error.hidden = false;
        }
      });
    }
    if (state !== "ended") {
      window.setTimeout(poll, POLL_MS);
    }
  }

  document.querySelectorAll("[data-chat]").forEach(start);
})();
