import CSndFile

/// The libsndfile version string, e.g. "libsndfile-1.2.0".
public var sndfileVersion: String { String(cString: sf_version_string()) }
