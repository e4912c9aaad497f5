#include <opus/opus.h>

// opus_encoder_ctl / opus_decoder_ctl are C variadics that Swift cannot call.
static inline int copus_encoder_set_complexity(OpusEncoder *e, int c) {
    return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(c));
}
static inline int copus_encoder_set_bitrate(OpusEncoder *e, int b) {
    return opus_encoder_ctl(e, OPUS_SET_BITRATE(b));
}
static inline int copus_encoder_set_inband_fec(OpusEncoder *e, int on) {
    return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(on));
}
static inline int copus_encoder_set_dtx(OpusEncoder *e, int on) {
    return opus_encoder_ctl(e, OPUS_SET_DTX(on));
}
static inline int copus_encoder_get_complexity(OpusEncoder *e, int *c) {
    return opus_encoder_ctl(e, OPUS_GET_COMPLEXITY(c));
}
static inline int copus_encoder_set_max_bandwidth(OpusEncoder *e, int bandwidth) {
    return opus_encoder_ctl(e, OPUS_SET_MAX_BANDWIDTH(bandwidth));
}
static inline int copus_encoder_set_signal_voice(OpusEncoder *e) {
    return opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}
