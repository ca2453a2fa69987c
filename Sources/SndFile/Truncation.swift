import Foundation

extension SoundFile {
    /// Recognises a truncated file from libsndfile's header log (`SFC_GET_LOG_INFO`).
    ///
    /// libsndfile opens a WAV/AIFF file whose audio chunk is shorter than its header declares without
    /// an error: it logs `data : 2000 (should be 956)` and silently returns fewer frames. An Ogg file cut
    /// short is logged as `File ended unexpectedly`. This turns such log lines into a message.
    /// Streaming placeholders (a declared size of 0 or ≥ 0x7FFFFFFF, as written by tools that cannot seek)
    /// are not treated as truncation.
    /// - Returns: a message naming libsndfile's log line, or nil when the log shows no truncation.
    public static func truncationDiagnosis(log: String) -> String? {
        for rawLine in log.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.contains("File ended unexpectedly") {
                return "the file is truncated (libsndfile log: \(line))"
            }
            guard line.hasPrefix("data") || line.hasPrefix("SSND"), let marker = line.range(of: "(should be ")
            else { continue }
            let declaredText = line[..<marker.lowerBound].split(separator: ":").last?
                .trimmingCharacters(in: .whitespaces)
            let actualText = line[marker.upperBound...].prefix { $0.isNumber }
            guard let declaredText, let declared = Int(declaredText), let actual = Int(actualText) else { continue }
            if declared > actual, declared > 0, declared < 0x7FFF_FFFF {
                return
                    "the file is truncated: its header declares \(declared) bytes of audio but only \(actual) are present (libsndfile log: \(line))"
            }
        }
        return nil
    }
}
