// actorchat browser page. Speaks the wire protocol of docs/PROTOCOL.md.
// Every piece of text that came from the network is put into the page with
// textContent / createTextNode only: never innerHTML.

import { $, setStatus, clockTime } from './page.mjs';
import { REFUSALS, afterRefusal, backoffMs, livenessWatch, PONG_DEADLINE_MS } from './reconnect.mjs';

const LOG_MAX_ENTRIES = 1000; // older lines are dropped so the page stays light

const ui = {
  login: $('login'),
  loginForm: $('login-form'),
  loginFields: $('login-fields'),
  name: $('name'),
  chat: $('chat'),
  roomForm: $('room-form'),
  room: $('room'),
  currentRoom: $('current-room'),
  members: $('members'),
  log: $('log'),
  msgForm: $('msg-form'),
  to: $('to'),
  msg: $('msg'),
  chatFields: document.querySelectorAll('.chat-fields'),
};

const state = {
  ws: null,
  name: '',          // the name we log in with
  user: '',          // the name the server welcomed us as
  room: '',          // current room
  wantedRoom: '',    // room we were last in
  rejoin: '',        // room to go back to after a reconnect
  members: new Set(),
  connected: false,
  welcomed: false,   // welcomed at least once since the login form was sent
  attempt: 0,        // reconnect attempts since the last welcome
  refused: null,     // { code, detail } of a bad_username / name_taken error
  retryTimer: null,
  countdownTimer: null,
  pingId: 0,
};

const liveness = livenessWatch({
  sendPing: () => send({ type: 'ping', id: ++state.pingId }),
  onDead: () => dropDeadConnection(),
});

// ---- small DOM helpers -------------------------------------------------

function setChatEnabled(on) {
  for (const fs of ui.chatFields) fs.disabled = !on;
}

function timeElement(ts) {
  const el = document.createElement('time');
  el.className = 'ts';
  const d = new Date(typeof ts === 'number' ? ts : Date.now());
  if (!Number.isNaN(d.getTime())) {
    el.dateTime = d.toISOString();
    el.textContent = clockTime(d);
  }
  return el;
}

function span(cls, text) {
  const el = document.createElement('span');
  el.className = cls;
  el.textContent = text;
  return el;
}

function appendLog(el) {
  ui.log.appendChild(el);
  while (ui.log.childElementCount > LOG_MAX_ENTRIES) {
    ui.log.removeChild(ui.log.firstElementChild);
  }
  ui.log.scrollTop = ui.log.scrollHeight;
}

function logLine(cls, parts) {
  const line = document.createElement('div');
  line.className = cls;
  line.appendChild(timeElement(Date.now()));
  for (const p of parts) {
    line.appendChild(document.createTextNode(' '));
    line.appendChild(typeof p === 'string' ? document.createTextNode(p) : p);
  }
  appendLog(line);
}

// ---- members list and "To" select -------------------------------------

function renderMembers() {
  const names = Array.from(state.members).sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0);

  ui.members.replaceChildren();
  for (const n of names) {
    const li = document.createElement('li');
    li.dataset.user = n;
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'member';
    btn.dataset.user = n;
    btn.textContent = n;
    if (n === state.user) {
      btn.disabled = true;
      btn.title = 'this is you';
      btn.appendChild(span('you', ' (you)'));
    } else {
      btn.title = 'send a private message to ' + n;
      btn.setAttribute('aria-label', 'private message to ' + n);
    }
    li.appendChild(btn);
    ui.members.appendChild(li);
  }

  const selected = ui.to.value;
  const keep = ui.to.options[0];
  ui.to.replaceChildren(keep);
  for (const n of names) {
    if (n === state.user) continue;
    const opt = document.createElement('option');
    opt.value = n;
    opt.textContent = n;
    ui.to.appendChild(opt);
  }
  ui.to.value = names.includes(selected) && selected !== state.user ? selected : '';
}

function setMembers(list) {
  state.members = new Set(Array.isArray(list) ? list.filter((x) => typeof x === 'string') : []);
  if (state.user) state.members.add(state.user); // we are always in our own room
  renderMembers();
}

function setRoom(room) {
  state.room = room;
  state.wantedRoom = room;
  ui.currentRoom.textContent = room || '—';
  if (state.connected) setStatus('connected as ' + state.user + ' in ' + room, 'connected');
}

// ---- sending -----------------------------------------------------------

function send(obj) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
  state.ws.send(JSON.stringify(obj));
  return true;
}

// ---- incoming frames ---------------------------------------------------

function onWelcome(f) {
  state.connected = true;
  state.welcomed = true;
  state.attempt = 0;
  state.user = typeof f.user === 'string' ? f.user : state.name;
  setMembers(f.users);
  setRoom(typeof f.room === 'string' ? f.room : '');
  ui.login.hidden = true;
  ui.chat.hidden = false;
  setChatEnabled(true);
  liveness.start();
  if (state.rejoin && state.rejoin !== state.room) {
    // back into the room we were in before the connection dropped
    send({ type: 'join', room: state.rejoin });
  }
  state.rejoin = '';
}

function onMessage(f) {
  const el = document.createElement('div');
  const priv = typeof f.to_user === 'string' && f.to_user !== '';
  el.className = priv ? 'msg private' : 'msg';
  if (f.id !== undefined) el.dataset.id = String(f.id);
  if (f.from_user === state.user) el.classList.add('own');

  el.appendChild(timeElement(f.ts));
  el.appendChild(document.createTextNode(' '));
  el.appendChild(span('from', String(f.from_user ?? '')));
  if (priv) {
    el.appendChild(document.createTextNode(' '));
    el.appendChild(span('to', '→ ' + f.to_user));
  }
  el.appendChild(span('sep', ': '));
  el.appendChild(span('text', String(f.msg ?? '')));
  appendLog(el);
}

// The server restarted the room's actor: `users` is the member list as it
// stands now, whatever join / leave frames were lost in the failure.
function onReset(f) {
  if (f.room !== state.room || !Array.isArray(f.users)) return;
  setMembers(f.users);
  const n = state.members.size;
  logLine('system', ['room ' + f.room + ' was restarted by the server; ' + n +
    (n === 1 ? ' member' : ' members') + ' now']);
}

function onPresence(f) {
  if (typeof f.room !== 'string') return;
  if (f.event === 'reset') {
    onReset(f);
    return;
  }
  if (typeof f.user !== 'string') return;
  const joined = f.event === 'join';
  if (f.event !== 'join' && f.event !== 'leave') return;
  logLine('presence', [f.user + (joined ? ' joined ' : ' left ') + f.room]);

  if (f.user === state.user && joined && f.room !== state.room) {
    // our own join of a new room is the acknowledgement of our join request
    setRoom(f.room);
    setMembers([state.user]);
    send({ type: 'users', room: f.room });
    return;
  }
  if (f.room !== state.room) return;
  if (joined) state.members.add(f.user);
  else state.members.delete(f.user);
  renderMembers();
}

function onUsers(f) {
  if (f.room === state.room || f.room === undefined) setMembers(f.users);
}

function onError(f) {
  const code = String(f.code ?? 'error');
  const detail = String(f.detail ?? '');
  logLine('error', ['error ' + code + (detail ? ': ' + detail : '')]);
  if (REFUSALS.has(code)) state.refused = { code, detail };
}

const handlers = {
  welcome: onWelcome,
  message: onMessage,
  presence: onPresence,
  users: onUsers,
  error: onError,
  pong: () => {},
};

function onFrame(ev) {
  liveness.heard(); // any frame shows the connection is alive, not just a pong
  if (typeof ev.data !== 'string') return;
  let f;
  try {
    f = JSON.parse(ev.data);
  } catch (_) {
    return;
  }
  if (!f || typeof f !== 'object') return;
  const h = handlers[f.type];
  if (h) h(f); // unknown frame types are ignored
}

// ---- connection life cycle ---------------------------------------------

function clearRetry() {
  if (state.retryTimer) clearTimeout(state.retryTimer);
  if (state.countdownTimer) clearInterval(state.countdownTimer);
  state.retryTimer = null;
  state.countdownTimer = null;
}

function connect() {
  clearRetry();
  state.refused = null;
  setStatus('connecting…', 'connecting');
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host +
    '/ws/' + encodeURIComponent(state.name);
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (e) {
    onClose();
    return;
  }
  state.ws = ws;
  ws.addEventListener('message', onFrame);
  ws.addEventListener('close', () => {
    if (state.ws === ws) onClose();
  });
}

// No frame came back within the pong deadline. The browser's own close
// handshake would wait on the same dead path, so give up on the socket here.
function dropDeadConnection() {
  const ws = state.ws;
  if (!ws) return;
  state.ws = null; // its close event, whenever it comes, is ignored
  ws.close();
  logLine('system', ['no answer from the server within ' + PONG_DEADLINE_MS / 1000 + ' s; reconnecting']);
  onClose();
}

function showLoginForm(message) {
  setStatus(message, 'error');
  state.attempt = 0;
  state.rejoin = '';
  ui.login.hidden = false;
  ui.loginFields.disabled = false;
  ui.name.focus();
  ui.name.select();
}

function onClose() {
  const wasConnected = state.connected;
  const refused = state.refused;
  state.ws = null;
  state.connected = false;
  liveness.stop();
  setChatEnabled(false);

  if (refused && afterRefusal(refused.code, state.welcomed) === 'form') {
    showLoginForm(refused.detail || refused.code);
    return;
  }

  if (wasConnected) state.rejoin = state.wantedRoom;
  const due = Date.now() + backoffMs(state.attempt);
  state.attempt += 1;
  const why = refused
    ? 'the name ' + state.name + ' is still in use, most likely by our old connection'
    : 'disconnected';
  const show = () => {
    const left = Math.max(1, Math.ceil((due - Date.now()) / 1000));
    setStatus(why + ' — reconnecting in ' + left + 's', 'disconnected');
  };
  show();
  state.countdownTimer = setInterval(show, 1000);
  state.retryTimer = setTimeout(connect, due - Date.now());
}

// ---- forms -------------------------------------------------------------

// The server's rules for a user name (PROTOCOL.md): 1 to 32 code points, no
// whitespace, no control characters, no '/'. Checked here too so an obvious
// mistake is reported at once; the server stays the judge.
function nameProblem(name) {
  if (/\p{Cs}/u.test(name)) return 'that name is not valid text';
  const len = Array.from(name).length;
  if (len < 1 || len > 32) return 'a name has 1 to 32 characters';
  if (/[\s\p{Cc}\/]/u.test(name)) return 'a name cannot contain spaces, control characters or "/"';
  return '';
}

ui.loginForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const name = ui.name.value.trim();
  const problem = name ? nameProblem(name) : 'please enter a name';
  if (problem) {
    setStatus(problem, 'error');
    ui.name.focus();
    return;
  }
  state.name = name;
  state.welcomed = false; // a name taken now is someone else's
  state.attempt = 0;
  state.rejoin = '';
  ui.loginFields.disabled = true;
  connect();
});

ui.roomForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const room = ui.room.value.trim();
  if (!room) return;
  if (send({ type: 'join', room })) ui.room.value = '';
});

ui.msgForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = ui.msg.value;
  if (text.trim() === '') return;
  const to = ui.to.value;
  const frame = to === '' ? { type: 'say', msg: text } : { type: 'whisper', to, msg: text };
  if (send(frame)) ui.msg.value = '';
  ui.msg.focus();
});

ui.members.addEventListener('click', (ev) => {
  const btn = ev.target instanceof Element ? ev.target.closest('button.member') : null;
  if (!btn || btn.disabled) return;
  const user = btn.dataset.user;
  if (!user || user === state.user) return;
  ui.to.value = user;
  ui.msg.focus();
});

// ---- start -------------------------------------------------------------

setChatEnabled(false);
ui.name.focus();
