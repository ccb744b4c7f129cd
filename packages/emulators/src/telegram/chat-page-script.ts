/**
 * The chat page's browser script: polls messages every 700 ms, renders bubbles and keyboards, presses buttons, and
 * sends messages and replies; a bot's ForceReply opens a reply to its message for the users it targets, as
 * Telegram apps do.
 */
export const CHAT_PAGE_SCRIPT = String.raw`
const list = document.getElementById("messages");
const userSelect = document.getElementById("user");
const toast = document.getElementById("toast");
const alertBox = document.getElementById("alert");
let lastJson = "";
let users = [];
let shown = [];
// The message the composer replies to, and whether the user chose it (else a ForceReply did).
let replyTo = null;
let chosenReply = false;
const input = document.getElementById("text");

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "text") node.textContent = value; else node.setAttribute(key, value);
  }
  for (const child of children || []) node.appendChild(child);
  return node;
}

function time(seconds) {
  const d = new Date(seconds * 1000);
  return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
}

function showToast(text) {
  toast.textContent = text;
  toast.classList.add("show");
  clearTimeout(showToast.timer);
  showToast.timer = setTimeout(() => toast.classList.remove("show"), 2500);
}

function showAlert(text) {
  document.getElementById("alert-text").textContent = text;
  alertBox.classList.add("show");
}
document.getElementById("alert-ok").addEventListener("click", () => alertBox.classList.remove("show"));

function render(messages) {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren();
  if (messages.length === 0) list.appendChild(el("div", { class: "empty", text: "No messages here yet…" }));
  const byId = new Map(messages.map((m) => [m.message_id, m]));
  for (const m of messages) {
    // Like Telegram apps: "edited" only when the text changed, not when only the keyboard did (edit_hide).
    const edited = m.edit_date && !m.edit_hide;
    const meta = el("span", { class: "meta", text: (edited ? "edited " : "") + time(m.date) });
    const parts = [el("div", { class: m.from.is_bot ? "sender" : "sender user", text: m.from.first_name })];
    if (m.reply_to_message) {
      // Telegram apps quote the replied message as it reads now, not as it read when the reply was sent.
      const quoted = byId.get(m.reply_to_message.message_id) || m.reply_to_message;
      parts.push(el("div", { class: "reply", "data-reply-to": String(quoted.message_id) }, [
        el("div", { class: "reply-sender", text: quoted.from.first_name }),
        el("div", { class: "reply-text", text: quoted.text }),
      ]));
    }
    parts.push(el("div", { class: "text" }, [document.createTextNode(m.text), meta]));
    const bubble = el("div", { class: "bubble" }, parts);
    const item = el("article", { class: "msg", "data-message-id": String(m.message_id) }, [bubble]);
    const replyButton = el("button", { type: "button", class: "reply-to", "aria-label": "Reply to message " + m.message_id, text: "↩ Reply" });
    replyButton.addEventListener("click", () => { chosenReply = true; setReply(m); input.focus(); });
    item.appendChild(replyButton);
    if (m.reply_markup && m.reply_markup.inline_keyboard.length) {
      const kb = el("div", { class: "kb", role: "group", "aria-label": "Inline keyboard" });
      for (const row of m.reply_markup.inline_keyboard) {
        const r = el("div", { class: "kb-row" });
        for (const b of row) {
          if (b.url) {
            r.appendChild(el("a", { href: b.url, target: "_blank", rel: "noreferrer", "aria-label": b.text, text: b.text + " ↗" }));
          } else {
            const button = el("button", { type: "button", "aria-label": b.text, text: b.text });
            button.addEventListener("click", () => press(m, b, button));
            r.appendChild(button);
          }
        }
        kb.appendChild(r);
      }
      item.appendChild(kb);
    }
    list.appendChild(item);
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
  shown = messages;
  followForceReply();
}

function currentUser() {
  return users.find((u) => String(u.id) === userSelect.value);
}

// Whether a ForceReply message asks this user: anyone unless selective; else a user it mentions, or whose message it replies to.
function asks(m, user) {
  if (!m.force_reply || !user) return false;
  if (!m.force_reply.selective) return true;
  if ((m.entities || []).some((e) => e.type === "text_mention" && e.user && e.user.id === user.id)) return true;
  if (user.username && new RegExp("@" + user.username + "(?![A-Za-z0-9_])", "i").test(m.text)) return true;
  return Boolean(m.reply_to_message && m.reply_to_message.from && m.reply_to_message.from.id === user.id);
}

// Like a Telegram app: the newest ForceReply for the user that they have not answered opens a reply to it.
function followForceReply() {
  if (chosenReply) return;
  const user = currentUser();
  const open = shown.filter((m) => asks(m, user) &&
    !shown.some((r) => r.from.id === (user && user.id) && r.reply_to_message && r.reply_to_message.message_id === m.message_id)).at(-1);
  setReply(open || null);
}

function setReply(m) {
  replyTo = m;
  document.getElementById("replying").hidden = !m;
  document.getElementById("replying-text").textContent = m ? "Reply to " + m.from.first_name + ": " + m.text : "";
  input.placeholder = (m && m.force_reply && m.force_reply.input_field_placeholder) || "Message";
}

document.getElementById("reply-cancel").addEventListener("click", () => { chosenReply = true; setReply(null); });
userSelect.addEventListener("change", () => { chosenReply = false; followForceReply(); });

document.getElementById("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const user = currentUser();
  if (!user) return showToast("Choose a user to write as");
  if (!input.value.trim()) return;
  const body = { chat_id: CHAT.id, from: user, text: input.value };
  if (replyTo) body.reply_to_message_id = replyTo.message_id;
  const response = await fetch("/_emulator/messages", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!answer.ok) return showToast(answer.description);
  input.value = "";
  chosenReply = false;
  setReply(null);
  refresh();
});

async function refresh() {
  try {
    const response = await fetch("/_emulator/chats/" + CHAT.id + "/messages", { cache: "no-store" });
    const json = await response.text();
    if (json !== lastJson) {
      lastJson = json;
      render(JSON.parse(json).result || []);
    }
  } catch (error) {
    document.getElementById("status").textContent = "emulator unreachable";
  }
}

async function loadUsers() {
  const response = await fetch("/_emulator/users");
  users = (await response.json()).result || [];
  userSelect.replaceChildren(...users.map((u) =>
    el("option", { value: String(u.id), text: u.username ? u.first_name + " (@" + u.username + ")" : u.first_name })));
}

async function press(message, button, node) {
  const user = users.find((u) => String(u.id) === userSelect.value);
  if (!user) return showToast("Choose a user to press as");
  node.classList.add("busy");
  const response = await fetch("/_emulator/press", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ chat_id: CHAT.id, message_id: message.message_id, callback_data: button.callback_data, from: user }),
  });
  const body = await response.json();
  if (!body.ok) { node.classList.remove("busy"); return showToast(body.description); }
  document.getElementById("status").textContent = user.first_name + " pressed «" + button.text + "»";
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answer = (await (await fetch("/_emulator/callback_answers/" + encodeURIComponent(body.callback_query_id))).json()).result;
    if (answer) {
      node.classList.remove("busy");
      if (answer.text) (answer.show_alert ? showAlert : showToast)(answer.text);
      return;
    }
  }
  node.classList.remove("busy");
}

loadUsers().then(refresh);
setInterval(refresh, 700);
`;
