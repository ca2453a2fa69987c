import CSoxr

/// The libsoxr version string, e.g. "libsoxr-0.1.3".
public var soxrVersion: String { String(cString: soxr_version()) }
