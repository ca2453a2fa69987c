import CFLAC

/// libFLAC's version, e.g. "1.4.2".
public var flacVersion: String { String(cString: FLAC__VERSION_STRING) }
