#include <FLAC/stream_decoder.h>
#include <FLAC/metadata.h>

// libFLAC's message tables are arrays of unknown size, which Swift does not import.
static inline const char *ser_flac_error_status_string(FLAC__StreamDecoderErrorStatus status) {
    return FLAC__StreamDecoderErrorStatusString[status];
}
static inline const char *ser_flac_init_status_string(FLAC__StreamDecoderInitStatus status) {
    return FLAC__StreamDecoderInitStatusString[status];
}
