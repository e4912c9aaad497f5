// The agent desktop's behaviour (softphone.html): sign-in, the call, devices, notes, history.
import { CallGateway, ClientEvent, CallsApiEvent } from '/sdk/1/callgateway.js';
import { signInPage, forgetSession } from '/pages/sign-in.js';
import { Ringtone } from '/pages/ringtone.js';
import { Devices } from '/pages/devices.js';

const $ = (id) => document.getElementById(id);
const show = (id, visible) => { $(id).hidden = !visible; };
const fail = (error) => { $('error').textContent = error?.errorCode
  ? `${error.errorCode.name}: ${error.errorCode.description ?? error.message}` : error?.message ?? String(error); };
let client = null;
let call = null;
let conversationId = null;
let wrapUpLeft = 0;
let wrapUpTimer = null;
let availabilitySince = null;
let token = null;
// The conversation of the call in progress or just ended: where notes go.
let noteConversation = null;
let offerShownAt = 0;
const ringtone = new Ringtone();
window.ringtone = ringtone;
const devices = new Devices(
  { microphone: $('microphone'), speaker: $('speaker'), meter: $('mic-level'), warning: $('mic-warning') },
  {
    onMicrophone: (deviceId) => {
      if (client) client.microphone = deviceId || null;
      if (call?.status() === 'established') call.useMicrophone(deviceId).catch(fail);
    },
    onSpeaker: (deviceId) => {
      $('remote').setSinkId?.(deviceId)?.catch(fail);
      ringtone.useSpeaker(deviceId).catch(fail);
    },
  });
window.devices = devices;

// Browsers start audio (and allow notifications) only after the person clicks or types.
function unlock() {
  ringtone.unlock().then(() => show('ringer', !ringtone.allowed)).catch(() => {});
  if ('Notification' in window && Notification.permission === 'default') Notification.requestPermission();
}
document.addEventListener('pointerdown', unlock);
$('enable-sound').onclick = unlock;

const clock = (seconds) => {
  const s = Math.max(0, Math.floor(seconds));
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return (hms[0] ? `${hms[0]}:${String(hms[1]).padStart(2, '0')}` : `${hms[1]}`) + `:${String(hms[2]).padStart(2, '0')}`;
};
setInterval(() => {
  if (availabilitySince) $('in-state').textContent = clock(Date.now() / 1000 - availabilitySince);
  if (!$('incoming').hidden) $('incoming-waited').textContent = Math.round(Number($('incoming').dataset.waited) + (Date.now() - offerShownAt) / 1000);
}, 1000);

// A call offered while the tab is in the background raises a notification.
function notifyIncoming(offered, text) {
  if (document.visibilityState === 'visible' || !('Notification' in window) || Notification.permission !== 'granted') return;
  const notification = new Notification('Incoming call', { body: text, tag: offered.id, requireInteraction: true });
  notification.onclick = () => { window.focus(); notification.close(); };
  const close = () => notification.close();
  offered.on(CallsApiEvent.ESTABLISHED, close);
  offered.on(CallsApiEvent.HANGUP, close);
}

function ring(offered) {
  const details = offered.details() ?? {};
  const caller = details.caller ?? offered.counterpart()?.identity ?? 'unknown';
  $('incoming-from').textContent = caller;
  $('incoming-kind').textContent = details.callerType === 'PHONE' ? '(phone)' : '';
  $('incoming-queue').textContent = details.queueName ?? '—';
  $('incoming').dataset.waited = details.waitedSeconds ?? 0;
  $('incoming-waited').textContent = details.waitedSeconds ?? 0;
  offerShownAt = Date.now();
  const transferredBy = details.transferredFrom?.displayName ?? details.transferredFrom?.agentId;
  $('incoming-transferred-by').textContent = transferredBy ?? '';
  show('incoming-transfer', !!transferredBy);
  $('counterpart').textContent = caller;
  show('incoming', true);
  ringtone.start();
  show('ringer', !ringtone.allowed);
  const queue = details.queueName ? ` in ${details.queueName}` : '';
  notifyIncoming(offered, `${caller}${queue}${transferredBy ? `, transferred by ${transferredBy}` : ''}`);
}

// Keys work anywhere but in a text field: A accept, D decline, M mute, H hold, E hang up.
document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest?.('input, textarea, select')) return;
  const id = { a: 'accept', d: 'decline', m: 'mute', h: 'hold', e: 'hangup' }[event.key.toLowerCase()];
  if (!id || $(id).closest('[hidden]') || !client) return;
  event.preventDefault();
  $(id).click();
});

for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
  const button = document.createElement('button');
  button.textContent = key;
  button.dataset.digit = key;
  button.onclick = () => { try { call?.sendDTMF(key); } catch (error) { fail(error); } };
  $('keypad').appendChild(button);
}

function countdown(seconds) {
  if (seconds > 0 && $('wrapup').hidden) $('wrapup-saved').textContent = '';
  wrapUpLeft = seconds;
  $('wrapup-left').textContent = wrapUpLeft;
  show('wrapup', seconds > 0);
  clearInterval(wrapUpTimer);
  if (seconds > 0) {
    wrapUpTimer = setInterval(() => {
      wrapUpLeft = Math.max(0, wrapUpLeft - 1);
      $('wrapup-left').textContent = wrapUpLeft;
    }, 1000);
  }
}

function follow(newCall) {
  call = newCall;
  conversationId = call.conversationId;
  $('conversation').textContent = conversationId ?? '';
  show('chat', !!conversationId);
  call.on(CallsApiEvent.ESTABLISHED, () => {
    ringtone.stop();
    if (conversationId) {
      showNotes(conversationId).catch(fail);
      showMessages(conversationId).catch(fail);
    }
    show('incoming', false);
    show('call', true);
    $('call-status').textContent = 'established';
    $('remote').srcObject = call.remoteStream;
  });
  call.on(CallsApiEvent.HANGUP, ({ errorCode }) => {
    ringtone.stop();
    show('incoming', false);
    show('call', false);
    $('call-status').textContent = 'ended';
    if (errorCode && !['NORMAL_HANGUP', 'TRANSFERRED'].includes(errorCode.name)) fail({ errorCode });
    call = null;
    loadHistory().catch(fail);
  });
  call.on(CallsApiEvent.ERROR, ({ errorCode }) => fail({ errorCode }));
  call.on(CallsApiEvent.REMOTE_MUTED, () => { $('call-status').textContent = 'the other party muted'; });
  call.on(CallsApiEvent.REMOTE_UNMUTED, () => { $('call-status').textContent = 'established'; });
  call.on(CallsApiEvent.HELD, ({ held }) => { $('call-status').textContent = held ? 'on hold by the other party' : 'established'; });
  call.on(CallsApiEvent.TRANSFERRING, () => { $('call-status').textContent = 'transferring'; });
  call.on(CallsApiEvent.TRANSFERRED, () => { $('call-status').textContent = 'transferred'; });
  const consulting = (text, open = true) => { $('consult-state').textContent = text; show('consult-panel', open); };
  call.on(CallsApiEvent.CONSULTING, () => consulting('ringing the agent you consult; the customer hears hold music'));
  call.on(CallsApiEvent.CONSULTED, () => consulting('talking to the agent you consult'));
  call.on(CallsApiEvent.MERGED, () => consulting('three-way call'));
  call.on(CallsApiEvent.CONSULT_CANCELLED, () => { consulting('', false); $('call-status').textContent = 'established'; });
  call.on(CallsApiEvent.TRANSFERRED, () => consulting('', false));
  call.on(CallsApiEvent.TRANSFER_FAILED, ({ errorCode }) => {
    consulting('', false);
    $('call-status').textContent = 'established';
    fail({ errorCode: { name: 'TRANSFER_FAILED', description: errorCode?.description ?? errorCode?.name } });
  });
}

setInterval(() => { if (call) $('duration').textContent = call.duration(); }, 500);

// Connects with `token`; throws when the gateway refuses it (the sign-in form stays).
// REST as the signed-in agent (its own token: notes and its calls).
async function rest(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${token}`, ...(options.body ? { 'Content-Type': 'application/json' } : {}) },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.requestError?.serviceException?.text ?? `${path}: ${response.status}`);
  return body;
}

async function showNotes(conversationId) {
  noteConversation = conversationId;
  const { notes } = await rest(`/ccaas/1/conversations/${conversationId}/notes?orderBy=createdAt:asc&limit=100`);
  $('notes').replaceChildren(...notes.map((note) => {
    const item = document.createElement('li');
    item.textContent = `${new Date(note.createdAt.replace(/(\d\d)(\d\d)$/, '$1:$2')).toLocaleTimeString()} — ${note.content}`;
    return item;
  }));
  show('notes-panel', true);
}

// The conversation's messages so far (new ones arrive as chat.message frames).
async function showMessages(conversationId) {
  const { messages } = await rest(`/ccaas/1/conversations/${conversationId}/messages?orderBy=createdAt:asc&limit=50`);
  $('messages').replaceChildren(...messages.map((message) => {
    const line = document.createElement('div');
    line.textContent = `${message.from ?? ''}: ${message.content?.text ?? `(${message.contentType})`}`;
    return line;
  }));
}

async function loadHistory() {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const since = encodeURIComponent(midnight.toISOString().replace('Z', '+0000'));
  const { elements } = await rest(`/ccaas/voice/2/calls?agentId=${client.identity}&createdAfter=${since}&size=100`);
  const date = (text) => text ? new Date(text.replace(/(\d\d)(\d\d)$/, '$1:$2')) : null;
  $('history-calls').tBodies[0].replaceChildren(...elements.map((record) => {
    const row = document.createElement('tr');
    const answered = date(record.answeredAt);
    const ended = date(record.endedAt);
    const talked = answered ? clock(((ended ?? new Date()) - answered) / 1000) : '—';
    const other = record.direction === 'INBOUND' ? record.caller : record.callee;
    for (const text of [date(record.createdAt).toLocaleTimeString(), other ?? '', record.direction.toLowerCase(), talked,
      record.hangupCode?.name ?? record.state]) {
      row.insertCell().textContent = text;
    }
    return row;
  }));
  show('history', true);
}

async function saveNote() {
  const text = $('wrapup-note').value.trim();
  if (!text || !noteConversation) return;
  await rest(`/ccaas/1/conversations/${noteConversation}/notes`, { method: 'POST', body: JSON.stringify({ content: text }) });
  $('wrapup-note').value = '';
  $('wrapup-saved').textContent = 'Note saved';
  await showNotes(noteConversation);
}

async function start(signedInToken) {
  token = signedInToken;
  client?.disconnect();
  client = CallGateway.create(signedInToken);
  window.softphone = client;
  client.on(ClientEvent.INCOMING_CALL, ({ call: offered }) => {
    follow(offered);
    ring(offered);
  });
  client.on(ClientEvent.AGENT_STATE, (state) => {
    if (state.agentId !== client.identity) return;
    $('availability').textContent = state.availability;
    $('status').value = state.status;
    $('status-reason').textContent = state.statusReason ? `(${state.statusReason})` : '';
    if (state.availabilitySince) availabilitySince = state.availabilitySince;
    if (state.wrapUpSecondsLeft) countdown(state.wrapUpSecondsLeft);
  });
  client.on(ClientEvent.WRAP_UP, (frame) => {
    if (frame.type === 'wrapup.started') countdown(frame.seconds);
    if (frame.type === 'wrapup.extended') countdown(frame.secondsLeft);
    if (frame.type === 'wrapup.ended') countdown(0);
  });
  client.on(ClientEvent.MESSAGE, (frame) => {
    const line = document.createElement('div');
    line.textContent = `${frame.message.from ?? ''}: ${frame.message.content?.text ?? ''}`;
    $('messages').appendChild(line);
  });
  client.on(ClientEvent.RECORDING, ({ event, callId }) => {
    if (!call || call.id !== callId) return;
    const recording = event === 'CALL_RECORDING_STARTED';
    if (recording || event === 'CALL_RECORDING_STOPPED' || event === 'CALL_RECORDING_FAILED') {
      show('recording', recording);
      $('recording-state').textContent = recording ? '● recording' : '';
      $('recording-pause').textContent = 'Pause recording';
    }
  });
  client.on(ClientEvent.RECONNECTING, () => {
    $('connection').textContent = 'reconnecting…';
    $('banner').textContent = 'The connection to the call center was lost: reconnecting… (a call in progress goes on)';
    show('banner', true);
  });
  client.on(ClientEvent.RECONNECTED, () => { $('connection').textContent = 'connected'; show('banner', false); });
  client.on(ClientEvent.DISCONNECTED, () => { $('connection').textContent = 'disconnected'; });
  client.on(ClientEvent.ERROR, fail);
  await client.connect();
  $('identity').textContent = client.displayName ?? client.identity;
  client.microphone = $('microphone').value || null;
  show('signin', false);
  show('agent', true);
  show('dialer', true);
  show('devices', true);
  show('shortcuts', true);
  show('ringer', !ringtone.allowed);
  devices.start().catch(fail);
  loadHistory().catch(fail);
}

$('signout').onclick = async () => {
  forgetSession();
  try { await client?.signOut(); } catch (error) { fail(error); }
  client = null;
  ringtone.stop();
  devices.stop();
  for (const id of ['agent', 'dialer', 'incoming', 'call', 'wrapup', 'chat', 'devices', 'shortcuts', 'banner', 'notes-panel', 'history']) show(id, false);
  show('signin', true);
};

$('status').onchange = () => client.setStatus($('status').value).catch(fail);
$('dial').onclick = async () => {
  $('error').textContent = '';
  try {
    const outgoing = await client.dial($('dial-to').value.trim());
    follow(outgoing);
    $('counterpart').textContent = outgoing.counterpart()?.identity ?? '';
    $('call-status').textContent = 'calling';
    show('call', true);
    outgoing.on(CallsApiEvent.RINGING, () => { $('call-status').textContent = 'ringing'; });
    outgoing.on(CallsApiEvent.EARLY_MEDIA, () => {
      $('call-status').textContent = 'early media';
      $('remote').srcObject = outgoing.remoteStream;
    });
  } catch (error) {
    fail(error);
  }
};
$('accept').onclick = () => { ringtone.stop(); call?.accept().catch(fail); };
$('decline').onclick = () => { ringtone.stop(); call?.decline(); show('incoming', false); };
$('hangup').onclick = () => call?.hangup();
$('mute').onclick = () => {
  if (!call) return;
  call.mute(!call.muted());
  $('mute').textContent = call.muted() ? 'Unmute' : 'Mute';
};
$('hold').onclick = () => {
  if (!call) return;
  const holding = $('hold').textContent === 'Hold';
  call.hold(holding).then(() => {
    $('hold').textContent = holding ? 'Resume' : 'Hold';
    $('call-status').textContent = holding ? 'on hold' : 'established';
  }).catch(fail);
};
// Pausing keeps what is said (a card number, say) out of the recording: that span is silence.
$('recording-pause').onclick = () => {
  if (!call) return;
  const pausing = $('recording-pause').textContent === 'Pause recording';
  (pausing ? client.pauseRecording(call.id) : client.resumeRecording(call.id)).then(() => {
    $('recording-pause').textContent = pausing ? 'Resume recording' : 'Pause recording';
    $('recording-state').textContent = pausing ? '❚❚ recording paused' : '● recording';
  }).catch(fail);
};
$('transfer').onclick = async () => {
  if (!call) return;
  try {
    const { agents, queues } = await client.transferTargets();
    const select = $('transfer-to');
    select.replaceChildren();
    for (const agent of agents) {
      const option = new Option(`${agent.displayName} (${agent.availability})`, `agent:${agent.id}`);
      option.disabled = agent.availability !== 'ACTIVE';
      select.add(option);
    }
    for (const queue of queues) {
      const option = new Option(`Queue ${queue.queueName} (${queue.active ? 'active' : 'inactive'})`, `queue:${queue.queueId}`);
      option.disabled = !queue.active;
      select.add(option);
    }
    select.value = [...select.options].find((option) => !option.disabled)?.value ?? '';
    show('transfer-panel', true);
  } catch (error) {
    fail(error);
  }
};
$('transfer-cancel').onclick = () => show('transfer-panel', false);
// The number field, when filled, wins over the picker.
function transferTarget() {
  const number = $('transfer-number').value.trim();
  if (number) return { externalNumber: number };
  const [kind, id] = $('transfer-to').value.split(/:(.*)/);
  if (!id) return null;
  return kind === 'agent' ? { agentId: id } : { queueId: id };
}
$('transfer-go').onclick = () => {
  const target = transferTarget();
  if (!call || !target) return;
  call.transfer(target).then(() => show('transfer-panel', false)).catch(fail);
};
$('consult-go').onclick = () => {
  const target = transferTarget();
  if (!call || !target) return;
  call.transfer(target, { attended: true }).then(() => show('transfer-panel', false)).catch(fail);
};
$('consult-complete').onclick = () => call?.completeTransfer().catch(fail);
$('consult-merge').onclick = () => call?.mergeTransfer().catch(fail);
$('consult-cancel').onclick = () => call?.cancelTransfer().catch(fail);
$('extend').onclick = () => client.extendWrapUp(30).catch(fail);
$('wrapup-save').onclick = () => saveNote().catch(fail);
// Done saves what was typed, then ends the wrap-up.
$('clear').onclick = () => saveNote().then(() => client.clearWrapUp()).catch(fail);
$('chat-send').onclick = () => {
  const text = $('chat-text').value;
  if (!text || !conversationId) return;
  client.sendMessage(text, conversationId).then(() => { $('chat-text').value = ''; }).catch(fail);
};

signInPage(start, fail);
