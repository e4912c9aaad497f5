// The softphone's microphone and speaker: pickers filled from `enumerateDevices`, an input level
// meter, and a warning when the microphone is refused or stays silent.

const SILENT_LEVEL = 0.002;
const SILENT_SECONDS = 5;

export class Devices {
  /**
   * `elements`: `microphone` and `speaker` (selects), `meter` (a <meter>), `warning` (where to
   * say what is wrong). `onMicrophone(deviceId)` and `onSpeaker(deviceId)` are called on a change.
   */
  constructor(elements, { onMicrophone, onSpeaker }) {
    this.elements = elements;
    this.onMicrophone = onMicrophone;
    this.onSpeaker = onSpeaker;
    this.level = 0;
    this._stream = null;
    this._context = null;
    this._quietSince = null;
    elements.microphone.onchange = () => this._pickMicrophone(elements.microphone.value);
    elements.speaker.onchange = () => this.onSpeaker(elements.speaker.value);
    navigator.mediaDevices.addEventListener?.('devicechange', () => this._list());
  }

  /** Asks for the microphone (labels are hidden until it is granted), lists devices, meters. */
  async start() {
    await this._open(this.elements.microphone.value || undefined);
    await this._list();
  }

  stop() {
    this._stream?.getTracks().forEach((track) => track.stop());
    this._stream = null;
    this._context?.close();
    this._context = null;
  }

  async _pickMicrophone(deviceId) {
    await this._open(deviceId);
    this.onMicrophone(deviceId);
  }

  async _open(deviceId) {
    this.stop();
    try {
      this._stream = await navigator.mediaDevices.getUserMedia({
        audio: deviceId ? { deviceId: { exact: deviceId } } : true,
      });
    } catch (error) {
      this._warn(error.name === 'NotAllowedError'
        ? 'The microphone is blocked: allow it in the browser\'s site settings, then reload.'
        : `No microphone can be opened (${error.name}).`);
      return;
    }
    this._warn('');
    this._context = new AudioContext();
    const analyser = this._context.createAnalyser();
    analyser.fftSize = 2048;
    this._context.createMediaStreamSource(this._stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const context = this._context;
    const measure = () => {
      if (this._context !== context) return;
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      this.level = Math.sqrt(sum / samples.length);
      this.elements.meter.value = Math.min(1, this.level * 5);
      this._watchSilence();
      setTimeout(measure, 100);
    };
    context.resume().catch(() => {});
    measure();
  }

  _watchSilence() {
    const now = Date.now();
    if (this.level >= SILENT_LEVEL) {
      this._quietSince = null;
      if (this.elements.warning.dataset.kind === 'silent') this._warn('');
      return;
    }
    this._quietSince ??= now;
    if (now - this._quietSince >= SILENT_SECONDS * 1000 && !this.elements.warning.textContent) {
      this._warn('No sound from the microphone: is it muted, or the wrong one?', 'silent');
    }
  }

  _warn(text, kind = 'blocked') {
    this.elements.warning.textContent = text;
    this.elements.warning.dataset.kind = text ? kind : '';
    this.elements.warning.hidden = !text;
  }

  async _list() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const fill = (select, kind, fallback) => {
      const chosen = select.value;
      select.replaceChildren(new Option(fallback, ''));
      for (const device of devices.filter((d) => d.kind === kind && d.deviceId && d.deviceId !== 'default')) {
        select.add(new Option(device.label || `${fallback} (${select.options.length})`, device.deviceId));
      }
      select.value = [...select.options].some((o) => o.value === chosen) ? chosen : '';
    };
    fill(this.elements.microphone, 'audioinput', 'Default microphone');
    fill(this.elements.speaker, 'audiooutput', 'Default speaker');
    // Browsers without setSinkId cannot choose a speaker.
    this.elements.speaker.disabled = typeof HTMLMediaElement.prototype.setSinkId !== 'function';
  }
}
