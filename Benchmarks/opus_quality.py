#!/usr/bin/env python3
"""Speech quality of the gateway's G.711 → Opus encoder at each complexity (PESQ, ITU-T P.862).

A phone call through a trunk is encoded to Opus from 8 kHz G.711 (docs/performance.md,
"Transcoded phone calls"): SILK (OPUS_APPLICATION_VOIP), narrowband, the voice hint, 24 kbit/s,
variable bit rate (libopus's default), 20 ms frames. This script runs speech through exactly
that, with the libopus the gateway links (libopus.so.0, through ctypes), decodes it at 8 kHz and
scores it with narrowband PESQ against the same speech after G.711 (what the encoder was given).
With --celt, the CELT layer only (OPUS_APPLICATION_RESTRICTED_LOWDELAY, no hint) instead: what
the gateway used before.

    scripts/install-deps --bench
    .venv/bin/python Benchmarks/opus_quality.py            # complexities 0-10
    .venv/bin/python Benchmarks/opus_quality.py 4 5        # some of them
    .venv/bin/python Benchmarks/opus_quality.py --celt     # the CELT layer instead
    .venv/bin/python Benchmarks/opus_quality.py --conference   # a conference's encoder instead
    .venv/bin/python Benchmarks/opus_quality.py --conference --bitrate 24000 0 5   # at another bit rate

With --conference, the encoder a conference's mixer has for each WebRTC party (`AudioMixer`:
16 kHz, CELT only, 48 kbit/s, no hint), fed 16 kHz speech, scored with wideband PESQ (P.862.2).

Speech: the recorded human voice of alsa-utils' channel-test files (eight words), and three
sentences by espeak-ng (a formant synthesizer: steady pitch, no breath).
"""
import ctypes
import ctypes.util
import os
import subprocess
import sys
import tempfile
import warnings
import wave

import numpy as np

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # G.711 from the standard library, as long as it has it
    import audioop

OPUS_APPLICATION_VOIP = 2048
OPUS_APPLICATION_RESTRICTED_LOWDELAY = 2051
OPUS_SET_MAX_BANDWIDTH = 4004
OPUS_BANDWIDTH_NARROWBAND = 1101
OPUS_SET_SIGNAL = 4024
OPUS_SIGNAL_VOICE = 3001
OPUS_SET_BITRATE = 4002
OPUS_SET_VBR = 4006
OPUS_SET_COMPLEXITY = 4010

ALSA = "/usr/share/sounds/alsa"
ALSA_WORDS = ["Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left", "Rear_Right",
              "Side_Left", "Side_Right"]
SENTENCES = [
    ("en-us", "The quick brown fox jumps over the lazy dog. Please hold while we connect your call to the "
              "next available agent. Your call is important to us, and it may be recorded."),
    ("de", "Bitte warten Sie, Sie werden mit dem nächsten freien Mitarbeiter verbunden. Ihr Anruf ist uns wichtig."),
    ("en-us+f3", "Thank you for calling. For billing questions, press one. For technical support, press two. "
                 "To speak with an operator, stay on the line."),
]


def usage(message=None):
    if message:
        print(f"opus_quality.py: {message}", file=sys.stderr)
    print("usage: opus_quality.py [--celt | --conference] [--bitrate 6000-510000] [complexity ...]"
          "   (each 0-10; all of them when none is given; 24000 bit/s, 48000 with --conference, unless given)", file=sys.stderr)
    sys.exit(1 if message else 0)


def complexities_of(args):
    if not args:
        return list(range(11))
    try:
        values = [int(a) for a in args]
    except ValueError:
        usage(f"not a complexity: {' '.join(args)}")
    if any(not 0 <= v <= 10 for v in values):
        usage("a complexity is 0 to 10")
    return values


def samples_at(rate, path, tmp):
    """`path` as mono 16-bit samples at `rate` (ffmpeg resamples)."""
    out = os.path.join(tmp, "resampled.wav")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", path, "-ac", "1", "-ar", str(rate), "-c:a", "pcm_s16le", out],
                   check=True)
    with wave.open(out) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def speech(rate, tmp):
    """(name, samples at `rate`) of each source of speech."""
    words = [samples_at(rate, os.path.join(ALSA, f"{w}.wav"), tmp) for w in ALSA_WORDS]
    sources = [("alsa-utils voice", np.concatenate(words))]
    for voice, text in SENTENCES:
        path = os.path.join(tmp, "espeak.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", path, text], check=True)
        sources.append((f"espeak-ng {voice}", samples_at(rate, path, tmp)))
    return sources


def through_g711(samples):
    """What a trunk's PCMU carries of `samples`: μ-law encoded and decoded."""
    return np.frombuffer(audioop.ulaw2lin(audioop.lin2ulaw(samples.tobytes(), 2), 2), dtype=np.int16)


class Opus:
    def __init__(self):
        self.lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
        self.lib.opus_encoder_create.restype = ctypes.c_void_p
        self.lib.opus_decoder_create.restype = ctypes.c_void_p
        self.lib.opus_get_version_string.restype = ctypes.c_char_p
        self.version = self.lib.opus_get_version_string().decode()

    def round_trip(self, samples, rate, complexity, bitrate, silk):
        """`samples` (at `rate`) encoded as the gateway encodes them (with SILK, narrowband and
        the voice hint, or with CELT only), then decoded at `rate`."""
        error = ctypes.c_int()
        application = OPUS_APPLICATION_VOIP if silk else OPUS_APPLICATION_RESTRICTED_LOWDELAY
        encoder = self.lib.opus_encoder_create(rate, 1, application, ctypes.byref(error))
        decoder = self.lib.opus_decoder_create(rate, 1, ctypes.byref(error))
        if not encoder or not decoder:
            raise RuntimeError(f"libopus refused to make a codec ({error.value})")
        settings = [(OPUS_SET_COMPLEXITY, complexity), (OPUS_SET_BITRATE, bitrate), (OPUS_SET_VBR, 1)]
        if silk:
            settings += [(OPUS_SET_MAX_BANDWIDTH, OPUS_BANDWIDTH_NARROWBAND), (OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE)]
        for request, value in settings:
            if self.lib.opus_encoder_ctl(ctypes.c_void_p(encoder), request, ctypes.c_int(value)) != 0:
                raise RuntimeError(f"libopus refused the setting {request}")
        frame_size = rate // 50
        packet = (ctypes.c_ubyte * 1500)()
        pcm = (ctypes.c_int16 * frame_size)()
        out = []
        frames = len(samples) // frame_size
        padded = np.concatenate([samples[:frames * frame_size], np.zeros(frame_size * 2, dtype=np.int16)])
        for i in range(frames + 2):
            frame = np.ascontiguousarray(padded[i * frame_size:(i + 1) * frame_size])
            n = self.lib.opus_encode(ctypes.c_void_p(encoder), frame.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)),
                                     frame_size, packet, 1500)
            if n < 0:
                raise RuntimeError(f"opus_encode failed ({n})")
            got = self.lib.opus_decode(ctypes.c_void_p(decoder), packet, n, pcm, frame_size, 0)
            if got != frame_size:
                raise RuntimeError(f"opus_decode failed ({got})")
            out.append(np.frombuffer(bytes(pcm), dtype=np.int16))
        self.lib.opus_encoder_destroy(ctypes.c_void_p(encoder))
        self.lib.opus_decoder_destroy(ctypes.c_void_p(decoder))
        # The codec's delay (look-ahead) is left in: PESQ aligns the two signals itself.
        return np.concatenate(out)


def bitrate_of(args, default):
    """The value of --bitrate in `args` (`default` without it), and the other arguments."""
    if "--bitrate" not in args:
        return default, args
    at = args.index("--bitrate")
    value = args[at + 1] if at + 1 < len(args) else ""
    if not value.isdigit() or not 6000 <= int(value) <= 510000:
        usage(f"--bitrate takes bits per second from 6000 to 510000, not '{value}'")
    return int(value), args[:at] + args[at + 2:]


def main():
    args = sys.argv[1:]
    if any(a in ("-h", "--help") for a in args):
        usage()
    conference, celt = "--conference" in args, "--celt" in args
    if conference and celt:
        usage("--celt and --conference do not go together (a conference's encoder is CELT's)")
    # The gateway's own: 24 kbit/s for a call transcoded from G.711, 48 kbit/s for a conference.
    bitrate, args = bitrate_of([a for a in args if a not in ("--conference", "--celt")], 48000 if conference else 24000)
    complexities = complexities_of(args)
    from pesq import pesq  # installed by scripts/install-deps --bench, not by --test
    opus = Opus()
    rate = 16000 if conference else 8000
    with tempfile.TemporaryDirectory() as tmp:
        sources = [(name, s if conference else through_g711(s)) for name, s in speech(rate, tmp)]
    names = [name for name, _ in sources]
    if conference:
        print(f"PESQ (P.862.2 wideband, MOS-LQO) of 16 kHz speech after a conference's Opus encoder "
              f"({opus.version}: CELT only, {bitrate} bit/s VBR, 20 ms), decoded at 16 kHz")
    else:
        layer = "CELT only" if celt else "SILK, narrowband, voice"
        print(f"PESQ (P.862 narrowband, MOS-LQO) of 8 kHz G.711 speech after the gateway's Opus encoder "
              f"({opus.version}: {layer}, {bitrate} bit/s VBR, 20 ms), decoded at 8 kHz")
    print("| complexity | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for c in complexities:
        scores = []
        for _, reference in sources:
            degraded = opus.round_trip(reference, rate, c, bitrate, silk=not (conference or celt))[:len(reference)]
            scores.append(pesq(rate, reference.astype(np.float32), degraded.astype(np.float32),
                               "wb" if conference else "nb"))
        print(f"| {c} | " + " | ".join(f"{s:.2f}" for s in scores) + " |", flush=True)


if __name__ == "__main__":
    main()
