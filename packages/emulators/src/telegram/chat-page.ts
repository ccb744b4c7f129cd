import { escapeHtml, scriptJson } from "../http/respond.js";
import type { TgChat } from "./wire-types.js";
import { CHAT_PAGE_SCRIPT } from "./chat-page-script.js";

const STYLE = `
*{box-sizing:border-box}
body{margin:0;height:100vh;display:flex;flex-direction:column;font:15px/1.35 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 background:#8fb28a linear-gradient(160deg,#a8c69b 0%,#86ae8c 45%,#6f9c8d 100%);color:#0f0f0f}
header{display:flex;align-items:center;gap:12px;padding:8px 16px;background:#fff;border-bottom:1px solid #dadce0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.avatar{width:42px;height:42px;border-radius:50%;display:flex;align-items:center;justify-content:center;color:#fff;font-weight:600;font-size:18px;
 background:linear-gradient(#72d5fd,#2a9ef1);flex:none}
header h1{margin:0;font-size:16px;font-weight:600}
header p{margin:2px 0 0;font-size:13px;color:#707579}
main{flex:1;overflow-y:auto;padding:16px 10% 8px}
.empty{margin:40px auto;text-align:center;color:#fff;background:rgba(0,0,0,.22);border-radius:12px;padding:8px 14px;width:max-content}
.msg{display:flex;flex-direction:column;align-items:stretch;margin:0 0 8px;width:fit-content;min-width:220px;max-width:min(480px,100%)}
.bubble{background:#fff;border-radius:12px 12px 12px 4px;padding:6px 10px 6px;box-shadow:0 1px 2px rgba(16,35,47,.15);min-width:120px;max-width:100%}
.sender{font-weight:600;font-size:14px;color:#3390ec;margin-bottom:2px}
.sender.user{color:#c03d33}
.reply{border-left:3px solid #3390ec;background:rgba(51,144,236,.08);border-radius:4px;padding:2px 8px;margin:2px 0 4px;font-size:14px;max-width:100%}
.reply-sender{font-weight:600;color:#3390ec}
.reply-text{color:#41454d;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.text{white-space:pre-wrap;word-wrap:break-word}
.meta{float:right;margin:6px 0 -4px 12px;font-size:12px;color:#8a9aa9}
.kb{display:flex;flex-direction:column;gap:4px;margin-top:4px;width:100%}
.kb-row{display:flex;gap:4px}
.kb-row>*{flex:1;border:0;border-radius:8px;padding:8px 12px;background:rgba(36,53,40,.42);color:#fff;font-family:inherit;font-size:14px;font-weight:500;line-height:1.2;
 cursor:pointer;text-align:center;text-decoration:none;backdrop-filter:blur(6px)}
.kb-row>*:hover{background:rgba(36,53,40,.58)}
.kb-row>button.busy{opacity:.6;cursor:progress}
footer{display:flex;flex-wrap:wrap;align-items:center;gap:10px;padding:10px 16px;background:#fff;border-top:1px solid #dadce0;font-size:14px;color:#707579}
footer select{font:inherit;padding:5px 8px;border:1px solid #c4c9cc;border-radius:8px;background:#fff;color:#0f0f0f}
#composer{display:flex;flex:1;gap:8px;min-width:260px}
#composer input{flex:1;font:inherit;padding:6px 10px;border:1px solid #c4c9cc;border-radius:8px;color:#0f0f0f}
#composer button,#reply-cancel{border:0;border-radius:8px;padding:6px 12px;background:#3390ec;color:#fff;font:inherit;font-weight:600;cursor:pointer}
#replying{flex-basis:100%;display:flex;align-items:center;gap:8px;border-left:3px solid #3390ec;padding:2px 8px;color:#41454d}
#replying[hidden]{display:none}
#replying span{flex:1;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#reply-cancel{background:none;color:#707579;padding:2px 6px}
.reply-to{align-self:flex-start;border:0;background:none;color:#fff;font:inherit;font-size:12px;cursor:pointer;padding:2px 4px;opacity:.8}
#toast{position:fixed;left:50%;bottom:76px;transform:translateX(-50%);background:rgba(0,0,0,.78);color:#fff;padding:10px 16px;border-radius:10px;
 font-size:14px;max-width:80%;opacity:0;transition:opacity .2s;pointer-events:none}
#toast.show{opacity:1}
#alert{position:fixed;inset:0;display:none;align-items:center;justify-content:center;background:rgba(0,0,0,.35)}
#alert.show{display:flex}
#alert div{background:#fff;border-radius:12px;padding:18px 20px 10px;min-width:260px;max-width:80%;box-shadow:0 6px 24px rgba(0,0,0,.25)}
#alert p{margin:0 0 12px}
#alert button{float:right;border:0;background:none;color:#3390ec;font-family:inherit;font-size:14px;font-weight:600;padding:6px 10px;cursor:pointer}
`;

/**
 * Renders the sandbox chat page: a Telegram-like group chat whose inline buttons press, and whose composer writes
 * messages and replies, as the chosen user through the control API.
 */
export function chatPage(chat: TgChat): string {
  const title = chat.title ?? chat.first_name ?? String(chat.id);
  const kind =
    chat.type === "private"
      ? "private chat"
      : chat.type === "group"
        ? "group"
        : "supergroup";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Telegram sandbox</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <div class="avatar" aria-hidden="true">${escapeHtml(title.slice(0, 1).toUpperCase())}</div>
  <div><h1>${escapeHtml(title)}</h1><p>${kind} · ${chat.id} · emulated</p></div>
</header>
<main id="messages" aria-live="polite"><div class="empty">No messages here yet…</div></main>
<footer>
  <div id="replying" hidden><span id="replying-text"></span><button type="button" id="reply-cancel" aria-label="Cancel the reply">✕</button></div>
  <label for="user">Press as:</label>
  <select id="user"></select>
  <form id="composer"><input id="text" aria-label="Message" placeholder="Message" autocomplete="off"><button type="submit">Send</button></form>
  <span id="status"></span>
</footer>
<div id="toast" role="status"></div>
<div id="alert" role="alertdialog" aria-modal="true"><div><p id="alert-text"></p><button type="button" id="alert-ok">OK</button></div></div>
<script>const CHAT = ${scriptJson(chat)};
${CHAT_PAGE_SCRIPT}</script>
</body>
</html>`;
}
