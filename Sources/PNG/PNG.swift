import CPNG

/// The libpng version string, e.g. "1.6.39".
public var pngVersion: String { String(cString: png_get_libpng_ver(nil)) }
