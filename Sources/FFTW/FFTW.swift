import CFFTW

/// The FFTW version string, e.g. "fftw-3.3.10-sse2-avx".
public var fftwVersion: String { String(cString: ser_fftwf_version()) }
