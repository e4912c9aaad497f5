// The softphone's ring, synthesised in the page (no audio file): a C5 + E5 chord (523 Hz and
// 659 Hz) for one second, then two seconds of silence, over and over, with soft edges so that it
// does not click. It plays on the speaker chosen in the page when the browser can route an
// AudioContext (`setSinkId`).

export const RING_HZ = [523.25, 659.25];
const ON_SECONDS = 1;
const PERIOD_SECONDS = 3;

export class Ringtone {
  constructor() {
    this.context = new AudioContext();
    this.output = this.context.createGain();
    this.output.gain.value = 0.25;
    this.output.connect(this.context.destination);
    /** For meters and tests: what the ring sounds like right now. */
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 8192;
    this.output.connect(this.analyser);
    this._voices = null;
    this._timer = null;
  }

  /** Whether the browser let the page start audio (it needs a click or key press first). */
  get allowed() { return this.context.state === 'running'; }

  /** Tries to start audio; call it from a click or key press. */
  unlock() { return this.context.resume(); }

  get playing() { return this._voices !== null; }

  /** Rings until `stop()`. */
  start() {
    if (this._voices) return;
    this.context.resume().catch(() => {});
    const envelope = this.context.createGain();
    envelope.gain.value = 0;
    envelope.connect(this.output);
    const oscillators = RING_HZ.map((hz) => {
      const oscillator = this.context.createOscillator();
      oscillator.frequency.value = hz;
      oscillator.connect(envelope);
      oscillator.start();
      return oscillator;
    });
    this._voices = { envelope, oscillators };
    const ring = () => {
      const t = this.context.currentTime;
      envelope.gain.cancelScheduledValues(t);
      envelope.gain.setValueAtTime(0, t);
      envelope.gain.linearRampToValueAtTime(0.5, t + 0.02);
      envelope.gain.setValueAtTime(0.5, t + ON_SECONDS - 0.02);
      envelope.gain.linearRampToValueAtTime(0, t + ON_SECONDS);
    };
    ring();
    this._timer = setInterval(ring, PERIOD_SECONDS * 1000);
  }

  stop() {
    clearInterval(this._timer);
    this._timer = null;
    if (!this._voices) return;
    for (const oscillator of this._voices.oscillators) oscillator.stop();
    this._voices.envelope.disconnect();
    this._voices = null;
  }

  /** Plays on the speaker `deviceId` ('' for the default) where the browser allows it. */
  async useSpeaker(deviceId) {
    if (typeof this.context.setSinkId === 'function') await this.context.setSinkId(deviceId);
  }

  /** The strongest frequency in the ring now (Hz), or 0 when silent. */
  loudestFrequency() {
    const bins = new Float32Array(this.analyser.frequencyBinCount);
    this.analyser.getFloatFrequencyData(bins);
    let best = 5;
    for (let i = 5; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return bins[best] < -90 ? 0 : best * this.context.sampleRate / this.analyser.fftSize;
  }
}
