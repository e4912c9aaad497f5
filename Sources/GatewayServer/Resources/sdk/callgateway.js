// callgateway softphone SDK, version 1 (served at /sdk/1/callgateway.js). One ES module, no
// build step. It speaks the gateway's signaling protocol v1 (docs/signaling.md) and WebRTC.
//
//   import { CallGateway, CallOptions, ClientEvent, CallsApiEvent } from '/sdk/1/callgateway.js';
//   const client = CallGateway.create(token);           // or an async () => token
//   client.on(ClientEvent.INCOMING_CALL, ({ call }) => call.accept());
//   await client.connect();
//   const call = await client.callConversations(CallOptions.builder().setCustomData({...}).build());
//   call.on(CallsApiEvent.ESTABLISHED, () => …);

export const SDK_VERSION = '1.0.0';

/** Client events. */
export const ClientEvent = Object.freeze({
  CONNECTED: 'connected',
  DISCONNECTED: 'disconnected',
  RECONNECTING: 'reconnecting',
  RECONNECTED: 'reconnected',
  INCOMING_CALL: 'incoming-call',
  ERROR: 'error',
  AGENT_STATE: 'agent-state',
  WRAP_UP: 'wrap-up',
  MESSAGE: 'message',
  RECORDING: 'recording',
});

/** Call events (Infobip RTC names). */
export const CallsApiEvent = Object.freeze({
  RINGING: 'ringing',
  EARLY_MEDIA: 'early-media',
  ESTABLISHED: 'established',
  HANGUP: 'hangup',
  ERROR: 'error',
  REMOTE_MUTED: 'remote-muted',
  REMOTE_UNMUTED: 'remote-unmuted',
  HELD: 'held',
  TRANSFERRING: 'transferring',
  TRANSFERRED: 'transferred',
  TRANSFER_FAILED: 'transfer-failed',
  CONSULTING: 'consulting',
  CONSULTED: 'consulted',
  MERGED: 'merged',
  CONSULT_CANCELLED: 'consult-cancelled',
  DTMF: 'dtmf',
});

/** Call states. */
export const CallStatus = Object.freeze({
  CALLING: 'CALLING',
  RINGING: 'RINGING',
  EARLY_MEDIA: 'EARLY_MEDIA',
  ESTABLISHED: 'ESTABLISHED',
  FINISHED: 'FINISHED',
});

class Emitter {
  constructor() { this._handlers = new Map(); }
  on(event, handler) {
    if (!this._handlers.has(event)) this._handlers.set(event, new Set());
    this._handlers.get(event).add(handler);
    return this;
  }
  off(event, handler) { this._handlers.get(event)?.delete(handler); return this; }
  _emit(event, payload) {
    for (const handler of [...(this._handlers.get(event) ?? [])]) {
      try { handler(payload); } catch (error) { console.error('callgateway handler failed', error); }
    }
  }
}

/** Options of `callConversations`, built like Infobip's `CallOptions.builder()`. */
export class CallOptions {
  constructor({ customData = {}, audio = true, video = false } = {}) {
    this.customData = customData;
    this.audio = audio;
    this.video = video;
  }
  static builder() {
    const values = {};
    const builder = {
      setCustomData(data) { values.customData = data; return builder; },
      setAudio(audio) { values.audio = audio; return builder; },
      setVideo(video) { values.video = video; return builder; },
      build() { return new CallOptions(values); },
    };
    return builder;
  }
}

/** An error the gateway answered with; `errorCode` is `{id, name, description}` when known. */
export class CallGatewayError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'CallGatewayError';
    this.errorCode = { id: null, name: code, description: message };
  }
}

/** One call: incoming (offered to this client) or outgoing (`callConversations`). */
export class Call extends Emitter {
  constructor(client, { callId, conversationId, counterpart, customData, video, incoming, offer }) {
    super();
    this._details = offer ?? null;
    this._client = client;
    this.id = callId;
    this.conversationId = conversationId;
    this._counterpart = counterpart;
    this._customData = customData ?? {};
    this.video = !!video;
    this.incoming = !!incoming;
    this._status = incoming ? CallStatus.RINGING : CallStatus.CALLING;
    this._establishedAt = null;
    this._endedAt = null;
    this._muted = false;
    this.pc = null;
    this.localStream = null;
    this.remoteStream = new MediaStream();
    this._offer = null;
  }

  status() { return this._status; }
  counterpart() { return this._counterpart; }
  customData() { return this._customData; }
  /**
   * For an agent offered a customer's call (inbound, or transferred to them): `{caller,
   * callerType ('PHONE'|'WEBRTC'), queueId, queueName, waitedSeconds, transferredFrom: {agentId,
   * displayName}}`; null otherwise.
   */
  details() { return this._details; }
  muted() { return this._muted; }

  /** Takes the microphone `deviceId` from now on in this call (the other party hears it at once). */
  async useMicrophone(deviceId) {
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === 'audio');
    if (!sender) return;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: deviceId } } });
    const [track] = stream.getAudioTracks();
    track.enabled = !this._muted;
    const old = sender.track;
    await sender.replaceTrack(track);
    this.localStream?.removeTrack(old);
    this.localStream?.addTrack(track);
    old.stop();
  }

  /** Seconds since the call was established (0 before). */
  duration() {
    if (!this._establishedAt) return 0;
    return Math.round(((this._endedAt ?? Date.now()) - this._establishedAt) / 1000);
  }

  async _media(options) {
    const microphone = this._client.microphone;
    this.localStream = await navigator.mediaDevices.getUserMedia({
      audio: options.audio === false ? false : (microphone ? { deviceId: { exact: microphone } } : true),
      video: !!options.video,
    });
    this.pc = new RTCPeerConnection({ iceServers: this._client.iceServers });
    this.localStream.getTracks().forEach((track) => this.pc.addTrack(track, this.localStream));
    this.pc.ontrack = (event) => {
      for (const track of (event.streams[0] ?? new MediaStream([event.track])).getTracks()) {
        if (!this.remoteStream.getTracks().includes(track)) this.remoteStream.addTrack(track);
      }
    };
  }

  /** Answers an incoming call. */
  async accept(options = {}) {
    if (!this.incoming || !this._offer) throw new CallGatewayError('INVALID_REQUEST', 'only an incoming call can be accepted');
    await this._reporting(async () => {
      await this._media({ audio: true, video: this.video, ...options });
      await this.pc.setRemoteDescription({ type: 'offer', sdp: this._offer });
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      await this._client._request({ type: 'call.accept', callId: this.id, sdp: this.pc.localDescription.sdp });
    });
  }

  /** Runs `work`; a failure is also an ERROR event with its `errorCode`, then thrown. */
  async _reporting(work) {
    try {
      return await work();
    } catch (error) {
      const failure = error instanceof CallGatewayError ? error : new CallGatewayError('MEDIA_FAILURE', String(error?.message ?? error));
      this._emit(CallsApiEvent.ERROR, { call: this, errorCode: failure.errorCode });
      throw failure;
    }
  }

  /** Declines an incoming call. */
  decline() {
    this._client._send({ type: 'call.decline', callId: this.id });
    this._finish({ id: 10203, name: 'REJECTED', description: 'You declined the call.' });
  }

  hangup() {
    this._client._send({ type: 'call.hangup', callId: this.id });
    this._finish({ id: 10000, name: 'NORMAL_HANGUP', description: 'You hung up.' });
  }

  /** Mutes the microphone; the other party gets REMOTE_MUTED. */
  mute(muted = true) {
    this._muted = muted;
    this.localStream?.getAudioTracks().forEach((track) => { track.enabled = !muted; });
    this._client._send({ type: 'call.mute', callId: this.id, muted });
  }

  /** Sends DTMF in the media (RFC 4733), which reaches phones and apps alike. */
  sendDTMF(digits) {
    const sender = this.pc?.getSenders().find((s) => s.track && s.track.kind === 'audio');
    if (!sender?.dtmf) throw new CallGatewayError('INVALID_REQUEST', 'the call has no audio sender');
    sender.dtmf.insertDTMF(String(digits), 120, 80);
  }

  /** Holds the call (the other party hears nothing, or the phone network's hold) or resumes it; only the party that held a call resumes it. */
  hold(held = true) {
    return this._reporting(() => this._client._request({ type: 'call.hold', callId: this.id, hold: held }));
  }

  /**
   * Transfers the customer (blind) to `{ agentId }`, `{ queueId }` or `{ externalNumber }` (E.164,
   * dialled through the trunk): resolves once the target is
   * offered the call. TRANSFERRING, then TRANSFERRED (and HANGUP with TRANSFERRED) or
   * TRANSFER_FAILED with `errorCode` (the customer is back in this call) follow.
   */
  transfer(target, options = {}) {
    const { agentId, queueId, externalNumber } = target ?? {};
    const to = agentId ? { agentId } : (queueId ? { queueId } : { externalNumber });
    return this._client._request({
      type: 'call.transfer', callId: this.id, ...to,
      ...(options.attended ? { attended: true } : {}),
    });
  }

  /**
   * Attended transfer: `transfer(target, { attended: true })` holds the customer (music) and
   * rings the target on this call's media: CONSULTING, then CONSULTED once they answer (or
   * TRANSFER_FAILED, back with the customer). Then `completeTransfer()` (the customer goes to the
   * target: TRANSFERRED and HANGUP), `cancelTransfer()` (CONSULT_CANCELLED, back with the
   * customer) or `mergeTransfer()` (MERGED: a three-way call; complete or cancel it later).
   * Hanging up while consulting completes the transfer.
   */
  completeTransfer() { return this._consult('COMPLETE'); }

  cancelTransfer() { return this._consult('CANCEL'); }

  mergeTransfer() { return this._consult('MERGE'); }

  _consult(action) {
    return this._client._request({ type: 'call.consult', callId: this.id, action });
  }

  _frame(frame) {
    switch (frame.type) {
      case 'call.ringing':
        this._status = CallStatus.RINGING;
        this._emit(CallsApiEvent.RINGING, { call: this });
        break;
      case 'call.early-media':
        this._status = CallStatus.EARLY_MEDIA;
        this._emit(CallsApiEvent.EARLY_MEDIA, { call: this });
        break;
      case 'call.established':
        this._status = CallStatus.ESTABLISHED;
        this._establishedAt = Date.now();
        this._emit(CallsApiEvent.ESTABLISHED, { call: this });
        break;
      case 'call.hangup':
        this._finish(frame.errorCode);
        break;
      case 'call.remoteMuted':
        this._emit(CallsApiEvent.REMOTE_MUTED, { call: this });
        break;
      case 'call.remoteUnmuted':
        this._emit(CallsApiEvent.REMOTE_UNMUTED, { call: this });
        break;
      case 'call.held':
        this._emit(CallsApiEvent.HELD, { call: this, held: frame.held });
        break;
      case 'call.dtmf':
        this._emit(CallsApiEvent.DTMF, { call: this, digit: frame.digit });
        break;
      case 'call.transfer': {
        const event = { TRANSFERRING: CallsApiEvent.TRANSFERRING, TRANSFERRED: CallsApiEvent.TRANSFERRED,
          TRANSFER_FAILED: CallsApiEvent.TRANSFER_FAILED, CONSULTING: CallsApiEvent.CONSULTING,
          CONSULTED: CallsApiEvent.CONSULTED, MERGED: CallsApiEvent.MERGED,
          CONSULT_CANCELLED: CallsApiEvent.CONSULT_CANCELLED }[frame.state];
        if (event) this._emit(event, { call: this, errorCode: frame.errorCode ?? null });
        break;
      }
      default:
        break;
    }
  }

  _finish(errorCode) {
    if (this._status === CallStatus.FINISHED) return;
    this._status = CallStatus.FINISHED;
    this._endedAt = Date.now();
    this.localStream?.getTracks().forEach((track) => track.stop());
    this.pc?.close();
    this._client._calls.delete(this.id);
    this._emit(CallsApiEvent.HANGUP, { call: this, errorCode });
  }
}

/**
 * A signed-in client: one signaling WebSocket, reconnected with backoff when it drops. A call in
 * progress survives a drop shorter than the gateway's `signalingGraceSeconds` (its media never
 * stopped); after that the gateway ends it and HANGUP tells why once the client is back.
 */
export class CallGateway extends Emitter {
  constructor(token, options = {}) {
    super();
    this._token = token;
    this.url = options.url ?? new URL('/webrtc/1/signaling', import.meta.url).href.replace(/^http/, 'ws');
    this.iceServers = options.iceServers ?? [];
    this.maxReconnectDelay = options.maxReconnectDelay ?? 10000;
    this._calls = new Map();
    this._pending = new Map();
    this._monitorOffers = new Map();
    this._nextId = 1;
    this._ws = null;
    this._wanted = false;
    this._attempt = 0;
    this._heartbeat = null;
    this.identity = null;
    /** The signed-in party's name, from its token (null until the welcome). */
    this.displayName = null;
    /** The microphone (`deviceId`) new calls take; null for the browser's default. */
    this.microphone = options.microphone ?? null;
    this.kind = null;
  }

  /** `token` is a token string or an async function returning a fresh one (used on reconnect). */
  static create(token, options) { return new CallGateway(token, options); }

  /**
   * Signs an agent in without an API key: `{ login, password }` or `{ link }` (the code after
   * `#signin=` in a one-time link). Resolves to `{ token, expirationTime, agent: { id,
   * displayName, role }, page }`; rejects with an `Error` whose `status` is the HTTP status
   * (401 wrong, 403 disabled, 429 throttled with `retryAfter` seconds) and whose message is the
   * gateway's.
   */
  static async signIn(credentials, options = {}) {
    const response = await fetch(new URL('/webrtc/1/sign-in', options.base ?? import.meta.url), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(credentials),
    });
    const body = await response.json().catch(() => null);
    if (response.ok) return body;
    const error = new Error(body?.requestError?.serviceException?.text ?? `sign-in failed (${response.status})`);
    error.status = response.status;
    error.retryAfter = Number(response.headers.get('Retry-After')) || null;
    throw error;
  }

  /** Signs out: the token is revoked at the gateway (its sessions close) and the socket closes. */
  async signOut() {
    const token = await this._token_();
    this.disconnect();
    const response = await fetch(new URL('/webrtc/1/sign-out', this.url.replace(/^ws/, 'http')), {
      method: 'POST', headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`sign-out failed (${response.status})`);
  }

  connected() { return this._ws?.readyState === WebSocket.OPEN && this.identity !== null; }

  async connect() {
    this._wanted = true;
    await this._open(false);
  }

  disconnect() {
    this._wanted = false;
    clearInterval(this._heartbeat);
    this._ws?.close(1000, 'client disconnect');
  }

  /** Starts a call (Infobip's `callConversations`). */
  async callConversations(options = new CallOptions()) {
    const call = new Call(this, { customData: options.customData, video: options.video, incoming: false });
    let created;
    try {
      await call._media(options);
      await call.pc.setLocalDescription(await call.pc.createOffer());
      created = await this._request({
        type: 'call.start', sdp: call.pc.localDescription.sdp, customData: options.customData ?? {},
      }, 'call.created');
    } catch (error) {
      // Refused (or no microphone): release what was opened, then tell the caller why.
      call.localStream?.getTracks().forEach((track) => track.stop());
      call.pc?.close();
      throw error instanceof CallGatewayError ? error : new CallGatewayError('MEDIA_FAILURE', String(error?.message ?? error));
    }
    call.id = created.callId;
    call.conversationId = created.conversationId;
    call._counterpart = { identity: options.customData?.outboundTo ?? null };
    this._calls.set(call.id, call);
    await call.pc.setRemoteDescription({ type: 'answer', sdp: created.sdp });
    return call;
  }

  /**
   * Agents: calls `to`, a phone number through a SIP trunk (`+` and digits) or an in-app
   * identity, in a new outbound conversation. `options`: `from` (caller id for phones),
   * `trunkId`, `video`.
   */
  async dial(to, options = {}) {
    const prepared = await this._request({ type: 'conversation.outbound', to }, 'conversation.outbound');
    const phone = /^\+?[0-9*#]{2,32}$/.test(to);
    const customData = {
      isOutbound: true, outboundTo: to, outboundAgentId: this.identity, conversationId: prepared.conversationId,
      calleeClientType: phone ? 'PSTN' : 'WebRTC',
    };
    if (options.from) customData.outboundFrom = options.from;
    if (options.trunkId) customData.trunkId = options.trunkId;
    return this.callConversations(new CallOptions({ customData, video: !!options.video }));
  }

  /** Sets the agent's own status (ACTIVE, BUSY, AWAY …). */
  setStatus(status) { return this._request({ type: 'agent.setStatus', status }); }

  /** Extends the agent's own wrap-up by `seconds`. */
  extendWrapUp(seconds) { return this._request({ type: 'wrapup.extend', seconds }); }

  /** Ends the agent's own wrap-up now. */
  clearWrapUp() { return this._request({ type: 'wrapup.clear' }); }

  /** Supervisors: agents, queues with waiting callers, calls in progress. */
  supervisorSnapshot() { return this._request({ type: 'supervisor.snapshot' }, 'supervisor.snapshot'); }

  /**
   * Supervisors: monitors call `callId` as `mode` — LISTEN (hears both, heard by none), WHISPER
   * (heard by the agent only) or BARGE (joins the call); called again, changes the mode. Resolves
   * with the monitor's Call once its leg is answered; `call.hangup()` ends the monitoring.
   */
  async monitor(callId, mode = 'LISTEN') {
    const existing = this._calls.get(callId);
    if (existing?.customData().monitor && existing.status() !== CallStatus.FINISHED) {
      await this._request({ type: 'call.monitor', callId, mode });
      existing.customData().monitor.mode = mode;
      return existing;
    }
    const offered = new Promise((resolve) => this._monitorOffers.set(callId, resolve));
    try {
      await this._request({ type: 'call.monitor', callId, mode });
    } catch (error) {
      this._monitorOffers.delete(callId);
      throw error;
    }
    const call = await offered;
    await call.accept({ video: false });
    return call;
  }

  /** Pauses the recording of call `callId` (the call's agent, or a supervisor): the span is silence. */
  pauseRecording(callId) { return this._request({ type: 'call.record', callId, action: 'PAUSE' }); }

  /** Resumes the recording of call `callId`. */
  resumeRecording(callId) { return this._request({ type: 'call.record', callId, action: 'RESUME' }); }

  /**
   * Supervisors: a page of recorded files, `{elements, total, totalPages}` as
   * `GET /ccaas/voice/2/recording/metadata` returns it for `filters` (the same parameters); each
   * file not deleted has a `downloadUrl` valid for 15 minutes, fit for an `<audio>` element.
   */
  async recordings(filters = {}) {
    const reply = await this._request({ type: 'recordings.list', filters }, 'recordings');
    return reply.page;
  }

  /** Whom an agent could transfer to: `{ agents: [{id, displayName, availability}], queues: [...] }`. */
  transferTargets() { return this._request({ type: 'transfer.targets' }, 'transfer.targets'); }

  /** Sends a LIVE_CHAT message (agents name the conversation). */
  sendMessage(text, conversationId) {
    return this._request({ type: 'chat.send', conversationId, content: { text } });
  }

  async _token_() { return typeof this._token === 'function' ? await this._token() : this._token; }

  /** Opens the socket; resolves at the welcome, rejects when the first connect fails. */
  async _open(reconnecting) {
    let token;
    try {
      token = await this._token_();
    } catch (cause) {
      throw new CallGatewayError('TOKEN_UNAVAILABLE', `no token: ${cause?.message ?? cause}`);
    }
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.url}?token=${encodeURIComponent(token)}`);
      this._ws = ws;
      let welcomed = false;
      ws.onmessage = (event) => {
        let frame;
        try { frame = JSON.parse(event.data); } catch { return; }
        if (frame.type === 'welcome') {
          welcomed = true;
          this._welcome(frame, reconnecting);
          resolve();
          return;
        }
        this._dispatch(frame);
      };
      ws.onclose = (event) => {
        clearInterval(this._heartbeat);
        for (const pending of this._pending.values()) {
          pending.reject(new CallGatewayError('DISCONNECTED', 'the connection closed'));
        }
        this._pending.clear();
        // 4001: the token was refused; 4003: the agent is disabled. Retrying cannot help.
        const refused = event.code === 4001 || event.code === 4003;
        const error = new CallGatewayError(refused ? 'UNAUTHORIZED' : 'DISCONNECTED', event.reason || `closed (${event.code})`);
        if (!welcomed && !reconnecting) {
          this._wanted = false;
          reject(error);
          return;
        }
        if (welcomed) this._emit(ClientEvent.DISCONNECTED, { code: event.code, reason: event.reason });
        if (this._wanted && !refused) {
          this._reconnect();
        } else if (refused) {
          this._wanted = false;
          this._emit(ClientEvent.ERROR, error);
        }
        reject(error);
      };
    });
  }

  _reconnect() {
    const delay = Math.min(this.maxReconnectDelay, 500 * 2 ** this._attempt);
    this._attempt += 1;
    this._emit(ClientEvent.RECONNECTING, { attempt: this._attempt, delayMs: delay });
    setTimeout(() => {
      if (!this._wanted) return;
      this._open(true).catch((error) => {
        // A socket that closed has scheduled the next attempt itself; a token that could not be
        // had has not.
        if (error?.errorCode?.name === 'TOKEN_UNAVAILABLE' && this._wanted) this._reconnect();
      });
    }, delay);
  }

  _welcome(frame, reconnecting) {
    this.identity = frame.identity;
    this.displayName = frame.displayName ?? null;
    this.kind = frame.kind;
    this._attempt = 0;
    clearInterval(this._heartbeat);
    // Agents and supervisors beat to stay routable; a customer has nothing to keep fresh.
    if (frame.kind !== 'customer') {
      this._heartbeat = setInterval(() => this._send({ type: 'heartbeat' }), (frame.heartbeatIntervalSeconds ?? 10) * 1000);
    }
    if (reconnecting) {
      const alive = new Set((frame.calls ?? []).map((c) => c.callId));
      this._emit(ClientEvent.RECONNECTED, { calls: [...this._calls.values()].filter((c) => alive.has(c.id)) });
    } else {
      this._emit(ClientEvent.CONNECTED, { identity: frame.identity, kind: frame.kind });
    }
  }

  _dispatch(frame) {
    if (frame.id && this._pending.has(frame.id)) {
      const pending = this._pending.get(frame.id);
      if (frame.type === 'error') {
        this._pending.delete(frame.id);
        pending.reject(new CallGatewayError(frame.code, frame.message));
        return;
      }
      if (frame.type === pending.expect) {
        this._pending.delete(frame.id);
        pending.resolve(frame);
        return;
      }
    }
    if (frame.type === 'call.incoming') {
      const call = new Call(this, { ...frame, incoming: true });
      call._offer = frame.sdp;
      this._calls.set(call.id, call);
      const monitorAsked = frame.customData?.monitor ? this._monitorOffers.get(frame.callId) : null;
      if (monitorAsked) {
        this._monitorOffers.delete(frame.callId);
        monitorAsked(call);
      } else {
        this._emit(ClientEvent.INCOMING_CALL, { call });
      }
      return;
    }
    if (frame.type === 'call.recording') {
      // To the recorded agent and supervisors: `{event, callId, recordings}`.
      this._emit(ClientEvent.RECORDING, frame);
      return;
    }
    if (frame.type.startsWith('call.') && frame.callId) {
      this._calls.get(frame.callId)?._frame(frame);
      return;
    }
    switch (frame.type) {
      case 'error': this._emit(ClientEvent.ERROR, new CallGatewayError(frame.code, frame.message)); break;
      case 'agent.state': this._emit(ClientEvent.AGENT_STATE, frame.state); break;
      case 'wrapup.started': case 'wrapup.extended': case 'wrapup.ended':
        this._emit(ClientEvent.WRAP_UP, frame); break;
      case 'chat.message': this._emit(ClientEvent.MESSAGE, frame); break;
      default: break;
    }
  }

  _send(frame) {
    if (this._ws?.readyState === WebSocket.OPEN) this._ws.send(JSON.stringify(frame));
  }

  /** Sends a frame with an id; resolves with the frame of type `expect` (default `ack`) for it. */
  _request(frame, expect = 'ack') {
    const id = `r${this._nextId++}`;
    return new Promise((resolve, reject) => {
      if (this._ws?.readyState !== WebSocket.OPEN) {
        reject(new CallGatewayError('DISCONNECTED', 'not connected'));
        return;
      }
      this._pending.set(id, { resolve, reject, expect });
      this._ws.send(JSON.stringify({ ...frame, id }));
    });
  }
}
