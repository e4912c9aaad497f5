// A WebM muxer over FFmpeg's libavformat: Opus audio and VP8 video written as received (no
// re-encoding). Small C helpers so that Swift never touches libavformat's structs.
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mem.h>
#include <string.h>

typedef struct cg_webm {
    AVFormatContext *ctx;
    int audio;
    int video;
} cg_webm;

/// Opens `path` as WebM with an Opus stream (48 kHz, `channels`) when `has_audio`, and a VP8
/// stream of `width` x `height` when `has_video`. Returns 0 or a negative AVERROR; on error the
/// writer must still be closed.
static inline int cg_webm_open(cg_webm *w, const char *path, int has_audio, int channels, int has_video, int width,
                               int height) {
    w->ctx = NULL;
    w->audio = -1;
    w->video = -1;
    int r = avformat_alloc_output_context2(&w->ctx, NULL, "webm", path);
    if (r < 0) return r;
    if (has_audio) {
        AVStream *s = avformat_new_stream(w->ctx, NULL);
        if (!s) return AVERROR(ENOMEM);
        s->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
        s->codecpar->codec_id = AV_CODEC_ID_OPUS;
        s->codecpar->sample_rate = 48000;
        av_channel_layout_default(&s->codecpar->ch_layout, channels);
        // OpusHead (RFC 7845 §5.1): version 1, channels, pre-skip 0, 48 kHz input, gain 0, mapping 0.
        uint8_t *head = av_mallocz(19 + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!head) return AVERROR(ENOMEM);
        static const uint8_t fixed[19] = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 1, 0, 0, 0x80, 0xBB, 0, 0, 0, 0, 0};
        memcpy(head, fixed, 19);
        head[9] = (uint8_t)channels;
        s->codecpar->extradata = head;
        s->codecpar->extradata_size = 19;
        s->time_base = (AVRational){1, 1000};
        w->audio = s->index;
    }
    if (has_video) {
        AVStream *s = avformat_new_stream(w->ctx, NULL);
        if (!s) return AVERROR(ENOMEM);
        s->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
        s->codecpar->codec_id = AV_CODEC_ID_VP8;
        s->codecpar->width = width;
        s->codecpar->height = height;
        s->time_base = (AVRational){1, 1000};
        w->video = s->index;
    }
    r = avio_open(&w->ctx->pb, path, AVIO_FLAG_WRITE);
    if (r < 0) return r;
    return avformat_write_header(w->ctx, NULL);
}

/// Writes one packet of `stream` at `pts_ms` (milliseconds); returns 0 or a negative AVERROR.
static inline int cg_webm_write(cg_webm *w, int stream, const uint8_t *data, int size, int64_t pts_ms, int key) {
    AVPacket *p = av_packet_alloc();
    if (!p) return AVERROR(ENOMEM);
    int r = av_new_packet(p, size);
    if (r < 0) {
        av_packet_free(&p);
        return r;
    }
    memcpy(p->data, data, (size_t)size);
    p->stream_index = stream;
    p->pts = p->dts = av_rescale_q(pts_ms, (AVRational){1, 1000}, w->ctx->streams[stream]->time_base);
    if (key) p->flags |= AV_PKT_FLAG_KEY;
    r = av_interleaved_write_frame(w->ctx, p);
    av_packet_free(&p);
    return r;
}

/// Writes the trailer (when the header was written) and frees everything.
static inline int cg_webm_close(cg_webm *w, int finish) {
    int r = 0;
    if (w->ctx) {
        if (finish) r = av_write_trailer(w->ctx);
        if (w->ctx->pb) avio_closep(&w->ctx->pb);
        avformat_free_context(w->ctx);
        w->ctx = NULL;
    }
    return r;
}

/// FFmpeg's text for an AVERROR.
static inline void cg_av_error(int code, char *text, size_t size) { av_strerror(code, text, size); }
